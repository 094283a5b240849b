// CUDA Newton-Schulz inverse of SOFT. No CUDA types here; pointers are device pointers, arguments
// validated by the entry in ops/newton_inverse.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/newton_inverse.hpp"

namespace attn::ops::cuda {

// Step-size halvings tried by the normalized start (one device counter each, in the scratch).
inline constexpr int kNewtonHalvings = 10;

template <class T>
void newton_inverse(const Context& ctx, const NewtonInverseShape& s, const T* a, T* v);

}  // namespace attn::ops::cuda
