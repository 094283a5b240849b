#include "core/rng.hpp"

#include <cmath>
#include <numbers>

namespace attn {

uint64_t hash64(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

namespace {
// SplitMix64 finaliser: mixes combined key material so nearby seeds give unrelated keys.
uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
constexpr int64_t kParallelThreshold = 1 << 16;
}  // namespace

Rng::Rng(uint64_t seed, std::string_view case_key, std::string_view purpose)
    : key_(mix64(mix64(mix64(seed) ^ hash64(case_key)) ^ hash64(purpose))) {}

std::array<uint32_t, 4> Rng::philox(std::array<uint32_t, 4> ctr, uint64_t key) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * ctr[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    ctr = {hi1 ^ ctr[1] ^ k0, lo1, hi0 ^ ctr[3] ^ k1, lo0};
    k0 += kW0;
    k1 += kW1;
  }
  return ctr;
}

uint32_t Rng::bits(uint64_t index) const {
  const uint64_t block = index >> 2;
  auto out = philox({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u}, key_);
  return out[index & 3];
}

double Rng::uniform(uint64_t index) const {
  // 53 random bits from two 32-bit draws, then shifted off 0: (k + 0.5) / 2^53.
  const uint64_t hi = bits(2 * index), lo = bits(2 * index + 1);
  const uint64_t k = ((hi << 32) | lo) >> 11;
  return (static_cast<double>(k) + 0.5) * (1.0 / 9007199254740992.0);
}

double Rng::normal(uint64_t index) const {
  const double u1 = uniform(2 * index), u2 = uniform(2 * index + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

uint64_t Rng::below(uint64_t index, uint64_t bound) const {
  const uint64_t x = (static_cast<uint64_t>(bits(2 * index)) << 32) | bits(2 * index + 1);
  __extension__ using u128 = unsigned __int128;
  return static_cast<uint64_t>((static_cast<u128>(x) * bound) >> 64);
}

template <class T, class F>
static void fill(T* out, int64_t n, uint64_t offset, F draw) {
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(draw(offset + static_cast<uint64_t>(i)));
}

void Rng::fill_normal(float* out, int64_t n, uint64_t offset) const {
  fill(out, n, offset, [this](uint64_t i) { return normal(i); });
}
void Rng::fill_normal(double* out, int64_t n, uint64_t offset) const {
  fill(out, n, offset, [this](uint64_t i) { return normal(i); });
}
void Rng::fill_uniform(float* out, int64_t n, uint64_t offset) const {
  fill(out, n, offset, [this](uint64_t i) { return uniform(i); });
}
void Rng::fill_uniform(double* out, int64_t n, uint64_t offset) const {
  fill(out, n, offset, [this](uint64_t i) { return uniform(i); });
}

Rng Rng::derive(std::string_view purpose) const { return Rng(mix64(key_ ^ hash64(purpose))); }
Rng Rng::derive(uint64_t index) const { return Rng(mix64(key_ ^ mix64(index + 0x51ed27ull))); }

}  // namespace attn
