#include "core/rng.hpp"

#include "core/philox.hpp"

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

// The arithmetic lives in core/philox.hpp, shared with the CUDA ops that draw on the device.
std::array<uint32_t, 4> Rng::philox(std::array<uint32_t, 4> ctr, uint64_t key) {
  const philox::Block out = philox::block(philox::Block{{ctr[0], ctr[1], ctr[2], ctr[3]}}, key);
  return {out.v[0], out.v[1], out.v[2], out.v[3]};
}

uint32_t Rng::bits(uint64_t index) const { return philox::bits(key_, index); }
double Rng::uniform(uint64_t index) const { return philox::uniform(key_, index); }
double Rng::normal(uint64_t index) const { return philox::normal(key_, index); }
uint64_t Rng::below(uint64_t index, uint64_t bound) const { return philox::below(key_, index, bound); }

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
