// CPU instance normalization. Validated by ops/instance_norm.cpp.
#pragma once

#include "ops/instance_norm.hpp"

namespace attn::ops::cpu {

template <class T>
void instance_norm(const Context& ctx, int64_t batch, int64_t rows, int64_t cols, double eps, const T* x, T* out);

}  // namespace attn::ops::cpu
