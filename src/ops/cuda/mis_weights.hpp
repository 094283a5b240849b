// CUDA LARA MIS weights. No CUDA types here; pointers are device pointers, arguments validated by
// the entry in ops/mis_weights.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/mis_weights.hpp"

namespace attn::ops::cuda {

template <class T>
void mis_weights(const Context& ctx, const MisShape& s, const T* lq, const T* lse_k, const T* lmu, const T* aux, T* out);

}  // namespace attn::ops::cuda
