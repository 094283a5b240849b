// q and k are widened to T once, then one GEMM and one row softmax per head.
#include "ops/cpu/attention_matrix.hpp"

#include <cmath>

#include "ops/cpu/gemm.hpp"
#include "ops/softmax.hpp"

namespace attn::ops::cpu {

template <class T>
void attention_matrix(const Context& ctx, const AttentionMatrixShape& s, const float* q, const float* k, T* a) {
  const int64_t n = s.n, d = s.d, count = s.batch * n * d;
  T* qt = ctx.ws().get<T>("attention_matrix.qk", 2 * count);
  T* kt = qt + count;
  for (int64_t i = 0; i < count; ++i) {
    qt[i] = static_cast<T>(q[i]);
    kt[i] = static_cast<T>(k[i]);
  }
  const GemmShape qk = gemm_shape(Trans::no, Trans::yes, n, n, d, s.batch);
  cpu::gemm<T>(ctx, qk, T(1), qt, kt, T(0), a);
  const SoftmaxShape sm{.rows = n, .cols = n, .ld = n, .stride = n * n, .batch = s.batch, .causal = s.causal};
  softmax_rows<T>(ctx, sm, T(1) / std::sqrt(static_cast<T>(d)), a);
}

template void attention_matrix<float>(const Context&, const AttentionMatrixShape&, const float*, const float*, float*);
template void attention_matrix<double>(const Context&, const AttentionMatrixShape&, const float*, const float*, double*);

}  // namespace attn::ops::cpu
