// Validated entry of exact kernel attention.
#include "ops/kernel_attention.hpp"

#include "ops/cpu/kernel_attention.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void kernel_attention(const Context& ctx, const KernelAttentionShape& s, double scale, const double* weights,
                      const double* means, const double* stds, const T* q, const T* k, const T* v, T* out) {
  ATTN_CHECK(s.batch > 0 && s.seq_len > 0 && s.head_dim > 0 && s.value_dim > 0 && s.components > 0,
             "kernel_attention: sizes must be positive");
  ATTN_CHECK(weights && means && stds && q && k && v && out, "kernel_attention: null operand");
  ATTN_DISPATCH_CPU_ONLY(ctx, "kernel_attention", cpu::kernel_attention(ctx, s, scale, weights, means, stds, q, k, v, out));
}

template void kernel_attention<float>(const Context&, const KernelAttentionShape&, double, const double*, const double*,
                                      const double*, const float*, const float*, const float*, float*);
template void kernel_attention<double>(const Context&, const KernelAttentionShape&, double, const double*,
                                       const double*, const double*, const double*, const double*, const double*,
                                       double*);

}  // namespace attn::ops
