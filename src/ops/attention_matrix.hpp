// The materialized softmax attention matrix A = softmax(q k^T / sqrt(d)) of each head, in T (fp64
// for the oracles and the attention-matrix metrics): O(N^2) memory by design (lowrank.md card 4).
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct AttentionMatrixShape {
  int64_t batch = 1;  // heads
  int64_t n = 0, d = 0;
  bool causal = false;
};

// a: [batch, n, n]. Scratch (q and k converted to T) comes from ctx.workspace.
template <class T>
void attention_matrix(const Context& ctx, const AttentionMatrixShape& s, const float* q, const float* k, T* a);

}  // namespace attn::ops
