// CPU random feature maps. Arguments are validated by the entry in ops/random_features.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/random_features.hpp"

namespace attn::ops::cpu {

template <class T>
void random_features(const Context& ctx, const FeatureShape& s, const T* x, const T* w, T* out, const T* proj_scale,
                     T* shift_out);

}  // namespace attn::ops::cpu
