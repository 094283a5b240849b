#include "ops/cpu/gemm.hpp"

#include "core/threads.hpp"
#include "ops/cpu/blas.hpp"

namespace attn::ops::cpu {

template <class T>
void gemm(const Context& ctx, const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c) {
  auto one = [&](int64_t i) {
    blas_gemm(s.trans_a, s.trans_b, s.m, s.n, s.k, alpha, a + i * s.stride_a, s.lda, b + i * s.stride_b, s.ldb,
              beta, c + i * s.stride_c, s.ldc);
  };
  // Enough batches to keep every thread busy: one whole product per thread, BLAS single-threaded so
  // the two pools never spin against each other. Otherwise let BLAS parallelize each product.
  if (s.batch >= ctx.threads && ctx.threads > 1) {
    BlasSingleThreaded single;
#pragma omp parallel for num_threads(ctx.threads) schedule(static)
    for (int64_t i = 0; i < s.batch; ++i) one(i);
  } else {
    for (int64_t i = 0; i < s.batch; ++i) one(i);
  }
}

template void gemm<float>(const Context&, const GemmShape&, float, const float*, const float*, float, float*);
template void gemm<double>(const Context&, const GemmShape&, double, const double*, const double*, double, double*);

}  // namespace attn::ops::cpu
