// CPU collision-kernel attention (validated in ops/angular_kernel.cpp).
#pragma once

#include <cstddef>

#include "ops/angular_kernel.hpp"

namespace attn::ops::cpu {

template <class T>
void angular_kernel_attention(const Context& ctx, const AngularKernelShape& s, const T* q, const T* k, const T* v,
                              T* out);

std::size_t angular_kernel_scratch_elems();  // per worker

}  // namespace attn::ops::cpu
