// CUDA linear (feature-map) attention, bidirectional and causal. No CUDA types here; pointers are
// device pointers, arguments validated by the entry in ops/linear_attention.cpp. Returns the
// guarded-row count (synchronizes the stream for it).
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "ops/linear_attention.hpp"

namespace attn::ops::cuda {

template <class T>
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const T* phi_q, const T* phi_k,
                         const T* v, T* out);

// fp16 / bf16 operands and output: fp32 state, key sums, numerator and denominators (the .cu file
// comment says where values are rounded to the type).
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const Half* phi_q, const Half* phi_k,
                         const Half* v, Half* out);
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const BFloat16* phi_q,
                         const BFloat16* phi_k, const BFloat16* v, BFloat16* out);

}  // namespace attn::ops::cuda
