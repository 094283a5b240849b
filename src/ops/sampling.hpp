// Index sampling for the sampling-based methods (CUR, SMS-Nystrom, Skeinformer, RA). Randomness is a
// Philox stream (core/rng.hpp) named by its 64-bit key and a counter offset, so a CUDA version can
// draw exactly the same numbers: element (offset + b * n + i) of the stream belongs to item i of
// batch b.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "core/rng.hpp"

namespace attn::ops {

struct SampleShape {
  int64_t batch = 1;
  int64_t n = 0;      // population per batch
  int64_t count = 0;  // draws per batch
};

// `count` distinct indices per batch, drawn with probability proportional to
// sqrt(weight_a[i] * weight_b[i]) + floor (each weight array [batch, n] may be null: 1) by the
// Gumbel-top-k trick (equivalent to sequential draws without replacement); null weights give
// uniform sampling. Indices are written in ascending order. Requires count <= n.
template <class T>
void sample_without_replacement(const Context& ctx, const SampleShape& s, const T* weight_a, const T* weight_b,
                                double floor, const Rng& rng, uint64_t offset, int64_t* idx);
// Workspace bytes sample_without_replacement takes: none on the CPU; on the GPU its Gumbel keys
// ("sample_without_replacement.keys", batch x n doubles). The other samplers take none.
std::size_t sample_without_replacement_scratch_bytes(const SampleShape& s, Device device = Device::cpu);

// `count` uniform indices per batch WITH replacement (Skeinformer's pilot rows), in draw order.
void sample_with_replacement(const Context& ctx, const SampleShape& s, const Rng& rng, uint64_t offset, int64_t* idx);

// One index per row drawn from the row's probabilities (rows sum to 1; inverse CDF of a uniform):
// probs: batch blocks of `rows` x `n` (dense); idx: [batch, rows]. s.count is the rows per batch.
template <class T>
void sample_categorical_rows(const Context& ctx, const SampleShape& s, const T* probs, const Rng& rng, uint64_t offset,
                             int64_t* idx);

// x[i] += sd * z_i for i < n, with z_i = rng.normal(offset + i) (Philox Box-Muller, so a CUDA
// version generates the same noise in place): randomized attention's per-query noise, too large
// (samples x N x d per head) to draw on the host and copy.
template <class T>
void add_gaussian_noise(const Context& ctx, int64_t n, double sd, const Rng& rng, uint64_t offset, T* x);

}  // namespace attn::ops
