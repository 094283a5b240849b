// Exact attention under a shift-invariant (spectral mixture) kernel, the own-exact reference of the
// random-Fourier-feature and Gaussian-kernel methods (kernel.md card 2 and card 6):
//   k(u) = sum_c w_c exp(-|std_c * u|^2 / 2) cos(mean_c . u),  u = scale * (q_i - k_j)
//   out_i = sum_j k(u_ij) v_j  [ / sum_j k(u_ij) when normalize ]   (j <= i when causal).
// O(N^2 (d + C)) time through GEMMs on row blocks, in double: no N x N buffer (a 128 x N block).
// The Gaussian kernel is C = 1, mean 0, std 1.
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct KernelAttentionShape {
  int64_t batch = 1;
  int64_t seq_len = 0;
  int64_t head_dim = 0;
  int64_t value_dim = 0;
  int64_t components = 1;  // C
  bool normalize = true;   // row-normalize (a kernel smoother) or plain S V (SOFT)
  bool causal = false;
};

// q, k: [batch, seq_len, head_dim]; v, out: [batch, seq_len, value_dim]; weights [C], means and
// stds [C, head_dim] (host memory: they are parameters, not data).
template <class T>
void kernel_attention(const Context& ctx, const KernelAttentionShape& s, double scale, const double* weights,
                      const double* means, const double* stds, const T* q, const T* k, const T* v, T* out);

}  // namespace attn::ops
