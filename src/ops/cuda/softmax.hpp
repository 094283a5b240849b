// CUDA row softmax with scale and causal mask. No CUDA types here. `x` is a device pointer.
#pragma once

#include "core/context.hpp"
#include "ops/softmax.hpp"

namespace attn::ops::cuda {

template <class T>
void softmax_rows(const Context& ctx, const SoftmaxShape& s, T scale, T* x);
void softmax_rows(const Context& ctx, const SoftmaxShape& s, float scale, Half* x);
void softmax_rows(const Context& ctx, const SoftmaxShape& s, float scale, BFloat16* x);

}  // namespace attn::ops::cuda
