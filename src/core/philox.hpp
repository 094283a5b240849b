// The arithmetic of the counter-based generator behind core/rng.hpp (Philox4x32-10, Salmon et al.
// 2011), in one header that both host C++ and nvcc device code compile: Rng's members call these
// functions, and the CUDA ops that draw on the device (ops/cuda/sampling.cu) call them with the same
// (key, index), so there is one generator, not a host copy and a device copy.
//
// Agreement between host and device: block, bits, uniform and below are integer arithmetic plus one
// exactly specified double rounding, so they are bit-identical on both. normal goes through log, sqrt
// and cos: the device's double log and cos are not glibc's and may differ by about one ulp, so device
// normals agree with the host's to ~1 ulp (the uniform bits they start from are identical).
//
// Stream layout (unchanged from the first Rng): element i of a stream is 32 bits, lane i % 4 of the
// Philox block for counter i / 4; uniform(i) uses elements 2i and 2i+1, normal(i) uses uniforms 2i
// and 2i+1 (elements 4i..4i+3), below(i) elements 2i and 2i+1. Each of those is a single block,
// computed once here.
#pragma once

#include <cmath>
#include <cstdint>

#ifndef ATTN_HOST_DEVICE
#if defined(__CUDACC__)
#define ATTN_HOST_DEVICE __host__ __device__
#else
#define ATTN_HOST_DEVICE
#endif
#endif

namespace attn::philox {

struct Block {
  uint32_t v[4];
};

// One Philox4x32-10 block for a 128-bit counter under a 64-bit key.
ATTN_HOST_DEVICE inline Block block(Block ctr, uint64_t key) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * ctr.v[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * ctr.v[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    ctr = Block{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
    k0 += kW0;
    k1 += kW1;
  }
  return ctr;
}

// The block holding stream elements 4 c .. 4 c + 3.
ATTN_HOST_DEVICE inline Block block_at(uint64_t key, uint64_t c) {
  return block(Block{{static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0u, 0u}}, key);
}

// Stream element `index` as 32 random bits.
ATTN_HOST_DEVICE inline uint32_t bits(uint64_t key, uint64_t index) { return block_at(key, index >> 2).v[index & 3]; }

// Elements 2 i and 2 i + 1 as one 64-bit word (high word first): both sit in block i / 2.
// (2 i wraps modulo 2^64 as in the element-wise form, hence the block (2 i mod 2^64) / 4.)
ATTN_HOST_DEVICE inline uint64_t bits64(uint64_t key, uint64_t i) {
  const Block out = block_at(key, (i << 1) >> 2);
  const int lane = static_cast<int>(i & 1) * 2;
  return (static_cast<uint64_t>(out.v[lane]) << 32) | out.v[lane + 1];
}

// 53 random bits shifted off 0: (k + 0.5) / 2^53, never 0 (safe for logs). Above 2^52 the + 0.5
// rounds to even, so the single top word k = 2^53 - 1 gives exactly 1.0 (probability 2^-53; kept:
// changing it would change every stream): log(u) is then 0, which Box-Muller and the Gumbel keys
// of the samplers take (a key of +inf is simply drawn first).
ATTN_HOST_DEVICE inline double uniform_from(uint64_t word) {
  const uint64_t k = word >> 11;
  return (static_cast<double>(k) + 0.5) * (1.0 / 9007199254740992.0);
}

ATTN_HOST_DEVICE inline double uniform(uint64_t key, uint64_t index) { return uniform_from(bits64(key, index)); }

// Standard normal by Box-Muller on uniforms 2 i and 2 i + 1: one whole block, elements 4i..4i+3
// (4 i modulo 2^64, as the element-wise form wrapped).
ATTN_HOST_DEVICE inline double normal(uint64_t key, uint64_t index) {
  constexpr double kPi = 3.14159265358979323846;  // std::numbers::pi (nvcc compiles this as C++17)
  const Block out = block_at(key, (index << 2) >> 2);
  const double u1 = uniform_from((static_cast<uint64_t>(out.v[0]) << 32) | out.v[1]);
  const double u2 = uniform_from((static_cast<uint64_t>(out.v[2]) << 32) | out.v[3]);
  return sqrt(-2.0 * log(u1)) * cos(2.0 * kPi * u2);
}

// Uniform integer in [0, bound): Lemire's multiply-shift, the high word of x * bound.
ATTN_HOST_DEVICE inline uint64_t below(uint64_t key, uint64_t index, uint64_t bound) {
  const uint64_t x = bits64(key, index);
#if defined(__CUDA_ARCH__)
  return __umul64hi(x, bound);
#else
  __extension__ using u128 = unsigned __int128;
  return static_cast<uint64_t>((static_cast<u128>(x) * bound) >> 64);
#endif
}

}  // namespace attn::philox
