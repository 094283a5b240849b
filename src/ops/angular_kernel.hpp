// Exact attention under YOSO's LSH collision kernel (sparse.md card 6, YOSO-E):
//   out_i = sum_j (1 - arccos(clamp(q_i . k_j / (|q_i| |k_j|), -1, 1)) / pi)^bits v_j   (not normalized)
// the expectation of the hashed estimate of ops/lsh.hpp (a zero row counts as orthogonal to all).
// O(N^2 d), streamed by tiles: no N x N buffer and no normalized copies of Q and K. Callers
// normalize the output rows as the method needs (normalize_rows).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct AngularKernelShape {
  int64_t batch = 1;
  int64_t seq_len = 0;
  int64_t head_dim = 0;
  int64_t value_dim = 0;
  int64_t bits = 1;  // tau: the kernel's exponent
};

// q, k: [batch, seq_len, head_dim]; v, out: [batch, seq_len, value_dim].
template <class T>
void angular_kernel_attention(const Context& ctx, const AngularKernelShape& s, const T* q, const T* k, const T* v,
                              T* out);

// Workspace bytes: one tile set per thread on the CPU; on the GPU one 512 x 512 tile per head (all
// heads share each cuBLAS call) plus the inverse row norms of Q and K.
std::size_t angular_kernel_scratch_bytes(const AngularKernelShape& s, std::size_t elem_bytes, int threads,
                                         Device device = Device::cpu);

}  // namespace attn::ops
