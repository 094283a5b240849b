// Validated entry of the random feature maps.
#include "ops/random_features.hpp"

#include <string>

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
  // 16-bit features are mapped from an fp32 copy of the projection (the CUDA op's half path).
  const bool half = elem_bytes == 2;
  return (s.l2_normalize ? rows * static_cast<std::size_t>(s.head_dim) * elem_bytes : 0) +
         (shared ? (rows + static_cast<std::size_t>(s.batch)) * sizeof(double) : 0) +
         (half ? rows * static_cast<std::size_t>(s.projections) * sizeof(float) : 0);
}

namespace {

template <class T>
void check_features(const FeatureShape& s, const T* x, const T* w, const T* out, const T* proj_scale) {
  ATTN_CHECK(s.batch > 0 && s.seq_len > 0 && s.head_dim > 0 && s.projections > 0,
             "random_features: sizes must be positive");
  ATTN_CHECK(s.eps >= 0, "random_features: eps must be >= 0");
  ATTN_CHECK(x != nullptr && w != nullptr && out != nullptr, "random_features: null operand");
  ATTN_CHECK(proj_scale == nullptr || s.kind == FeatureKind::fourier, "random_features: proj_scale is for fourier features");
}

// The 16-bit path's limits: GPU only, and no unit-norm inputs (that copy would be rounded to the type
// before the projection; no method with a 16-bit path asks for it).
void check_half_features(const Context& ctx, const FeatureShape& s, const char* dtype) {
  if (ctx.device == Device::cpu)
    throw UnsupportedError("op 'random_features' runs fp16/bf16 on cuda only (the cpu backend runs fp32/fp64)");
  if (s.l2_normalize)
    throw UnsupportedError(std::string("op 'random_features' has no ") + dtype + " path for l2_normalize inputs");
}

}  // namespace

template <class T>
void random_features(const Context& ctx, const FeatureShape& s, const T* x, const T* w, T* out, const T* proj_scale,
                     T* shift_out) {
  check_features(s, x, w, out, proj_scale);
  ATTN_DISPATCH(ctx, "random_features", cpu::random_features(ctx, s, x, w, out, proj_scale, shift_out),
                cuda::random_features(ctx, s, x, w, out, proj_scale, shift_out));
}

void random_features(const Context& ctx, const FeatureShape& s, const Half* x, const Half* w, Half* out,
                     const Half* proj_scale, Half* shift_out) {
  check_features(s, x, w, out, proj_scale);
  check_half_features(ctx, s, "fp16");
  ATTN_DISPATCH(ctx, "random_features", (void)0, cuda::random_features(ctx, s, x, w, out, proj_scale, shift_out));
}

void random_features(const Context& ctx, const FeatureShape& s, const BFloat16* x, const BFloat16* w, BFloat16* out,
                     const BFloat16* proj_scale, BFloat16* shift_out) {
  check_features(s, x, w, out, proj_scale);
  check_half_features(ctx, s, "bf16");
  ATTN_DISPATCH(ctx, "random_features", (void)0, cuda::random_features(ctx, s, x, w, out, proj_scale, shift_out));
}

template void random_features<float>(const Context&, const FeatureShape&, const float*, const float*, float*, const float*, float*);
template void random_features<double>(const Context&, const FeatureShape&, const double*, const double*, double*, const double*, double*);

}  // namespace attn::ops
