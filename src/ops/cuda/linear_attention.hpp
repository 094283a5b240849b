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

}  // namespace attn::ops::cuda
