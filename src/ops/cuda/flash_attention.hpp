// CUDA tiled exact attention (the fused FlashAttention-2-style kernel). No CUDA types here, so CPU
// code can include it. Arguments are validated by the entry in ops/flash_attention.cpp; q, k, v,
// out, lse and the layout's CSR are device pointers. The GPU picks its own tile sizes (compile-time
// per head-dim class); FlashShape::tiles is the CPU kernel's choice and is ignored here.
#pragma once

#include "core/context.hpp"
#include "ops/flash_attention.hpp"

namespace attn::ops::cuda {

// Largest head dimension the fused kernel takes (UnsupportedError naming the op above it).
constexpr int64_t kFlashMaxHeadDim = 256;

template <class T>
void flash_attention(const Context& ctx, const FlashShape& s, T scale, const T* q, const T* k, const T* v, T* out,
                     T* lse);

}  // namespace attn::ops::cuda
