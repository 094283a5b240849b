// CUDA Luna causal nested attention (the chunked scan of ops/nested_causal_attention.hpp). No CUDA
// types here; pointers are device pointers, arguments validated by the entry in
// ops/nested_causal_attention.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/nested_causal_attention.hpp"

namespace attn::ops::cuda {

template <class T>
void nested_causal_attention(const Context& ctx, const NestedCausalShape& s, T scale, const T* p, const T* q,
                             const T* k, const T* v, T* out);

}  // namespace attn::ops::cuda
