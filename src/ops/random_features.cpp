// Validated entry of the random feature maps.
#include "ops/random_features.hpp"

#include "ops/cpu/random_features.hpp"
#include "ops/cuda/random_features.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

int64_t feature_columns(const FeatureShape& s) {
  return s.kind == FeatureKind::positive ? s.projections : 2 * s.projections;
}

template <class T>
void random_features(const Context& ctx, const FeatureShape& s, const T* x, const T* w, T* out, const T* proj_scale,
                     T* shift_out) {
  ATTN_CHECK(s.batch > 0 && s.seq_len > 0 && s.head_dim > 0 && s.projections > 0,
             "random_features: sizes must be positive");
  ATTN_CHECK(s.eps >= 0, "random_features: eps must be >= 0");
  ATTN_CHECK(x != nullptr && w != nullptr && out != nullptr, "random_features: null operand");
  ATTN_CHECK(proj_scale == nullptr || s.kind == FeatureKind::fourier, "random_features: proj_scale is for fourier features");
  ATTN_DISPATCH(ctx, "random_features", cpu::random_features(ctx, s, x, w, out, proj_scale, shift_out),
                cuda::random_features(ctx, s, x, w, out, proj_scale, shift_out));
}

template void random_features<float>(const Context&, const FeatureShape&, const float*, const float*, float*, const float*, float*);
template void random_features<double>(const Context&, const FeatureShape&, const double*, const double*, double*, const double*, double*);

}  // namespace attn::ops
