// CPU chunked scan of Luna's causal nested attention. Arguments are validated by the entry in
// ops/nested_causal_attention.cpp.
#pragma once

#include <cstddef>

#include "core/context.hpp"
#include "ops/nested_causal_attention.hpp"

namespace attn::ops::cpu {

template <class T>
void nested_causal_attention(const Context& ctx, const NestedCausalShape& s, T scale, const T* p, const T* q,
                             const T* k, const T* v, T* out);

// Elements one worker holds: states l x d and l x dv, chunk pack weights C x l, chunk logits C x l,
// one C x C block.
std::size_t nested_causal_elems_per_worker(const NestedCausalShape& s);
int nested_causal_workers(const NestedCausalShape& s, int threads);

}  // namespace attn::ops::cpu
