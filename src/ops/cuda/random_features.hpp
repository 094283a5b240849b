// CUDA random feature maps (Performer FAVOR+ and variants). No CUDA types here; pointers are device
// pointers (W is drawn on the host by draw_projection and copied over by the method), arguments
// validated by the entry in ops/random_features.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/random_features.hpp"

namespace attn::ops::cuda {

template <class T>
void random_features(const Context& ctx, const FeatureShape& s, const T* x, const T* w, T* out, const T* proj_scale,
                     T* shift_out);

// fp16 / bf16: 16-bit x, W, features (and proj_scale, shift_out); projection with an fp32 result,
// the map in fp32, each feature rounded once. No l2_normalize (refused by the entry).
void random_features(const Context& ctx, const FeatureShape& s, const Half* x, const Half* w, Half* out,
                     const Half* proj_scale, Half* shift_out);
void random_features(const Context& ctx, const FeatureShape& s, const BFloat16* x, const BFloat16* w, BFloat16* out,
                     const BFloat16* proj_scale, BFloat16* shift_out);

}  // namespace attn::ops::cuda
