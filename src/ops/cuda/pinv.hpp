// CUDA Newton-Schulz pseudo-inverse (Nystromformer). No CUDA types here; pointers are device
// pointers, arguments validated by the entry in ops/pinv.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/pinv.hpp"

namespace attn::ops::cuda {

template <class T>
void newton_schulz_pinv(const Context& ctx, const PinvShape& s, const T* w, T* z);

}  // namespace attn::ops::cuda
