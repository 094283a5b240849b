// CUDA Newton-Schulz inverse of SOFT. No CUDA types here; pointers are device pointers, arguments
// validated by the entry in ops/newton_inverse.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/newton_inverse.hpp"

namespace attn::ops::cuda {

template <class T>
void newton_inverse(const Context& ctx, const NewtonInverseShape& s, const T* a, T* v);

}  // namespace attn::ops::cuda
