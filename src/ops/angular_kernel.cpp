// Validated entry of the collision-kernel attention.
#include "ops/angular_kernel.hpp"

#include <algorithm>

#include "ops/cpu/angular_kernel.hpp"
#include "ops/cuda/angular_kernel.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

std::size_t angular_kernel_scratch_bytes(const AngularKernelShape& s, std::size_t elem_bytes, int threads,
                                         Device device) {
  if (device == Device::cuda) {  // "angular_kernel.tile" and "angular_kernel.inv_norms" (ops/cuda/angular_kernel.cu)
    constexpr auto kTile = static_cast<std::size_t>(cuda::kAngularTile);
    const auto b = static_cast<std::size_t>(s.batch), n = static_cast<std::size_t>(s.seq_len);
    return (b * kTile * kTile + 2 * b * n) * elem_bytes;
  }
  return cpu::angular_kernel_scratch_elems() * elem_bytes * static_cast<std::size_t>(std::max(1, threads));
}

template <class T>
void angular_kernel_attention(const Context& ctx, const AngularKernelShape& s, const T* q, const T* k, const T* v,
                              T* out) {
  ATTN_CHECK(s.batch >= 1 && s.seq_len >= 1 && s.head_dim >= 1 && s.value_dim >= 1 && s.bits >= 0,
             "angular_kernel_attention: bad shape");
  ATTN_CHECK(q != nullptr && k != nullptr && v != nullptr && out != nullptr, "angular_kernel_attention: null operand");
  ATTN_CHECK(ctx.workspace != nullptr, "angular_kernel_attention: the context needs a workspace");
  ATTN_DISPATCH(ctx, "angular_kernel_attention", cpu::angular_kernel_attention(ctx, s, q, k, v, out),
                cuda::angular_kernel_attention(ctx, s, q, k, v, out));
}

template void angular_kernel_attention<float>(const Context&, const AngularKernelShape&, const float*, const float*,
                                              const float*, float*);
template void angular_kernel_attention<double>(const Context&, const AngularKernelShape&, const double*,
                                               const double*, const double*, double*);

}  // namespace attn::ops
