// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). A stream is keyed by
// (seed, case key, purpose): the same key always yields the same numbers, element i of a stream
// depends only on (key, i), so fills are reproducible regardless of threads, and a GPU backend
// that copies host-drawn numbers sees exactly what the CPU saw. The generator's arithmetic is in
// core/philox.hpp, which device code also compiles: a CUDA op drawing from the same (key, index)
// gets the same numbers (normals to ~1 ulp: the device's log and cos are not glibc's).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace attn {

// FNV-1a, 64 bit: turns names ("performer/features") into key material.
uint64_t hash64(std::string_view text);

class Rng {
 public:
  // `case_key` is the input group or case id; `purpose` names what is drawn ("q", "features", ...).
  Rng(uint64_t seed, std::string_view case_key, std::string_view purpose);
  explicit Rng(uint64_t key) : key_(key) {}

  uint64_t key() const { return key_; }

  // Element `index` of the stream as 32 random bits.
  uint32_t bits(uint64_t index) const;
  // Uniform in (0, 1], never 0 (safe for logs); exactly 1 with probability 2^-53 (core/philox.hpp).
  double uniform(uint64_t index) const;
  // Standard normal, by Box-Muller on uniforms 2*index and 2*index+1.
  double normal(uint64_t index) const;

  // Fill out[0..n) with stream elements offset..offset+n. OpenMP-parallel for large n.
  void fill_normal(float* out, int64_t n, uint64_t offset = 0) const;
  void fill_normal(double* out, int64_t n, uint64_t offset = 0) const;
  void fill_uniform(float* out, int64_t n, uint64_t offset = 0) const;
  void fill_uniform(double* out, int64_t n, uint64_t offset = 0) const;
  // Uniform integer in [0, bound) (Lemire's multiply-shift; bias below 2^-32 * bound).
  uint64_t below(uint64_t index, uint64_t bound) const;

  // A child stream for a sub-purpose (e.g. per head): independent key, same reproducibility.
  Rng derive(std::string_view purpose) const;
  Rng derive(uint64_t index) const;

  // The raw generator: one Philox4x32-10 block for a 128-bit counter under a 64-bit key.
  static std::array<uint32_t, 4> philox(std::array<uint32_t, 4> counter, uint64_t key);

 private:
  uint64_t key_;
};

}  // namespace attn
