// CPU materialized attention matrix. Validated by ops/attention_matrix.cpp.
#pragma once

#include "ops/attention_matrix.hpp"

namespace attn::ops::cpu {

template <class T>
void attention_matrix(const Context& ctx, const AttentionMatrixShape& s, const float* q, const float* k, T* a);

}  // namespace attn::ops::cpu
