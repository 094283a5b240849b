// CUDA Gaussian kernel matrix between two point sets (SOFT). No CUDA types here; pointers are device
// pointers, arguments validated by the entry in ops/gaussian_kernel.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/gaussian_kernel.hpp"

namespace attn::ops::cuda {

template <class T>
void gaussian_kernel(const Context& ctx, const GaussianKernelShape& s, T scale, const T* a, const T* b, T* out);

}  // namespace attn::ops::cuda
