// CUDA windowed pooling along the sequence (ContextPool). No CUDA types here; pointers are device
// pointers, arguments validated by the entry in ops/window_pool.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/window_pool.hpp"

namespace attn::ops::cuda {

template <class T>
void window_pool(const Context& ctx, const WindowPoolShape& s, const T* x, T* out);

}  // namespace attn::ops::cuda
