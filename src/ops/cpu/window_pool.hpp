// CPU windowed pooling. Arguments are validated by the entry in ops/window_pool.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/window_pool.hpp"

namespace attn::ops::cpu {

template <class T>
void window_pool(const Context& ctx, const WindowPoolShape& s, const T* x, T* out);

}  // namespace attn::ops::cpu
