// CUDA exact attention under YOSO's collision kernel. No CUDA types here; pointers are device
// pointers, arguments validated by the entry in ops/angular_kernel.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/angular_kernel.hpp"

namespace attn::ops::cuda {

// Query and key tile edge: scratch is one kAngularTile^2 tile per head (angular_kernel_scratch_bytes).
inline constexpr long long kAngularTile = 512;

template <class T>
void angular_kernel_attention(const Context& ctx, const AngularKernelShape& s, const T* q, const T* k, const T* v,
                              T* out);

}  // namespace attn::ops::cuda
