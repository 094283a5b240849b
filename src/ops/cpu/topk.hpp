// CPU top-k and fill_at (validated in ops/topk.cpp).
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops::cpu {

template <class T>
void topk_indices(const Context& ctx, int64_t batch, int64_t n, int64_t k, const T* x, int64_t* idx);
template <class T>
void fill_at(const Context& ctx, int64_t batch, int64_t n, int64_t k, const int64_t* idx, T value, T* x);

}  // namespace attn::ops::cpu
