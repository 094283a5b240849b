// Validated entry of the partial-attention merge.
#include "ops/merge_partials.hpp"

#include "ops/cpu/merge_partials.hpp"
#include "ops/cuda/merge_partials.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void merge_partials(const Context& ctx, const MergeShape& s, const T* o1, const T* lse1, const T* num2, const T* den2,
                    const T* log_scale2, const T* head_scale2, const T* sub_num, const T* sub_den, T* out) {
  ATTN_CHECK(s.batch >= 1 && s.rows >= 0 && s.dim >= 1 && s.group >= 1, "merge_partials: bad shape");
  ATTN_CHECK(o1 != nullptr && lse1 != nullptr && num2 != nullptr && out != nullptr, "merge_partials: null operand");
  ATTN_CHECK(s.den_floor >= 0, "merge_partials: den_floor must be >= 0");
  ATTN_DISPATCH(ctx, "merge_partials",
                cpu::merge_partials(ctx, s, o1, lse1, num2, den2, log_scale2, head_scale2, sub_num, sub_den, out),
                cuda::merge_partials(ctx, s, o1, lse1, num2, den2, log_scale2, head_scale2, sub_num, sub_den, out));
}

template void merge_partials<float>(const Context&, const MergeShape&, const float*, const float*, const float*,
                                    const float*, const float*, const float*, const float*, const float*, float*);
template void merge_partials<double>(const Context&, const MergeShape&, const double*, const double*, const double*,
                                     const double*, const double*, const double*, const double*, const double*, double*);

}  // namespace attn::ops
