// CUDA tiled exact attention (the fused FlashAttention-2-style kernels: SIMT fp32/fp64, tensor-core fp16/bf16). No CUDA types here, so CPU
// code can include it. Arguments are validated by the entry in ops/flash_attention.cpp; q, k, v,
// out, lse and the layout's CSR are device pointers. The GPU picks its own tile sizes (compile-time
// per head-dim class); FlashShape::tiles is the CPU kernel's choice and is ignored here.
#pragma once

#include "core/context.hpp"
#include "core/half.hpp"
#include "ops/flash_attention.hpp"

namespace attn::ops::cuda {

// Largest head dimension the fused kernel takes (UnsupportedError naming the op above it).
constexpr int64_t kFlashMaxHeadDim = 256;

template <class T>
void flash_attention(const Context& ctx, const FlashShape& s, T scale, const T* q, const T* k, const T* v, T* out,
                     T* lse);

// fp16 / bf16 storage on tensor cores with fp32 arithmetic (flash_attention_tc.cu); head_dim <= 128.
void flash_attention(const Context& ctx, const FlashShape& s, float scale, const Half* q, const Half* k, const Half* v,
                     Half* out, float* lse);
void flash_attention(const Context& ctx, const FlashShape& s, float scale, const BFloat16* q, const BFloat16* k,
                     const BFloat16* v, BFloat16* out, float* lse);

}  // namespace attn::ops::cuda
