// CUDA instance normalization over the sequence axis. No CUDA types here; pointers are device
// pointers, arguments validated by the entry in ops/instance_norm.cpp.
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "ops/instance_norm.hpp"

namespace attn::ops::cuda {

template <class T>
void instance_norm(const Context& ctx, int64_t batch, int64_t rows, int64_t cols, double eps, const T* x, T* out);

}  // namespace attn::ops::cuda
