// CPU linear attention (bidirectional and chunked causal scan). Arguments are validated by the
// entry in ops/linear_attention.cpp.
#pragma once

#include <cstddef>

#include "core/context.hpp"
#include "ops/linear_attention.hpp"

namespace attn::ops::cpu {

template <class T>
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const T* phi_q, const T* phi_k,
                         const T* v, T* out);

// Elements one worker holds: state m x dv, key sum m, chunk scores C x C, chunk denominators C.
std::size_t linear_attention_elems_per_worker(const LinearAttentionShape& s);
int linear_attention_workers(const LinearAttentionShape& s, int threads);

}  // namespace attn::ops::cpu
