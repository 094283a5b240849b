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

}  // namespace attn::ops::cuda
