// Validated entry of the random feature maps.
#include "ops/random_features.hpp"

#include "ops/cpu/random_features.hpp"
#include "ops/cuda/random_features.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

int64_t feature_columns(const FeatureShape& s) {
  return s.kind == FeatureKind::positive ? s.projections : 2 * s.projections;
}

std::size_t random_features_scratch_bytes(const FeatureShape& s, std::size_t elem_bytes, Device device) {
  if (device != Device::cuda) return 0;
  const auto rows = static_cast<std::size_t>(s.batch * s.seq_len);
  // The shift rule of ops/cuda/random_features.cu: one shift per head (or trig's shared max) needs
  // the candidates of every row first.
  const bool unshifted = s.shift == FeatureShift::none || s.kind == FeatureKind::fourier;
  const bool shared = !unshifted && (s.kind == FeatureKind::trig || s.shift == FeatureShift::per_head);
  return (s.l2_normalize ? rows * static_cast<std::size_t>(s.head_dim) * elem_bytes : 0) +
         (shared ? (rows + static_cast<std::size_t>(s.batch)) * sizeof(double) : 0);
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
