// Validated entry of the materialized attention matrix.
#include "ops/attention_matrix.hpp"

#include "ops/cpu/attention_matrix.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void attention_matrix(const Context& ctx, const AttentionMatrixShape& s, const float* q, const float* k, T* a) {
  ATTN_CHECK(s.batch > 0 && s.n > 0 && s.d > 0 && q && k && a && ctx.workspace, "attention_matrix: bad operands");
  ATTN_DISPATCH_CPU_ONLY(ctx, "attention_matrix", cpu::attention_matrix(ctx, s, q, k, a));
}

template void attention_matrix<float>(const Context&, const AttentionMatrixShape&, const float*, const float*, float*);
template void attention_matrix<double>(const Context&, const AttentionMatrixShape&, const float*, const float*, double*);

}  // namespace attn::ops
