// Validated entries of top-k selection and fill_at.
#include "ops/topk.hpp"

#include "ops/cpu/topk.hpp"
#include "ops/cuda/topk.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void topk_indices(const Context& ctx, int64_t batch, int64_t n, int64_t k, const T* x, int64_t* idx) {
  ATTN_CHECK(batch >= 1 && n >= 1 && k >= 0 && k <= n, "topk_indices: need batch, n >= 1 and 0 <= k <= n");
  ATTN_CHECK(x != nullptr && idx != nullptr, "topk_indices: null operand");
  ATTN_DISPATCH(ctx, "topk_indices", cpu::topk_indices(ctx, batch, n, k, x, idx),
                cuda::topk_indices(ctx, batch, n, k, x, idx));
}

template <class T>
void fill_at(const Context& ctx, int64_t batch, int64_t n, int64_t k, const int64_t* idx, T value, T* x) {
  ATTN_CHECK(batch >= 1 && n >= 1 && k >= 0 && k <= n, "fill_at: need batch, n >= 1 and 0 <= k <= n");
  ATTN_CHECK(x != nullptr && idx != nullptr, "fill_at: null operand");
  ATTN_DISPATCH(ctx, "fill_at", cpu::fill_at(ctx, batch, n, k, idx, value, x),
                cuda::fill_at(ctx, batch, n, k, idx, value, x));
}

template void topk_indices<float>(const Context&, int64_t, int64_t, int64_t, const float*, int64_t*);
template void topk_indices<double>(const Context&, int64_t, int64_t, int64_t, const double*, int64_t*);
template void fill_at<float>(const Context&, int64_t, int64_t, int64_t, const int64_t*, float, float*);
template void fill_at<double>(const Context&, int64_t, int64_t, int64_t, const int64_t*, double, double*);

}  // namespace attn::ops
