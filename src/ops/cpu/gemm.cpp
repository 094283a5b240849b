#include "ops/cpu/gemm.hpp"

#include "core/threads.hpp"
#include "ops/cpu/blas.hpp"

namespace attn::ops::cpu {

namespace {
constexpr int64_t kMinParallelWork = int64_t(64) * 64 * 64;  // multiply-adds per product
}

template <class T>
void gemm(const Context& ctx, const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c) {
  auto one = [&](int64_t i) {
    blas_gemm(s.trans_a, s.trans_b, s.m, s.n, s.k, alpha, a + i * s.stride_a, s.lda, b + i * s.stride_b, s.ldb,
              beta, c + i * s.stride_c, s.ldc);
  };
  // Enough batches of real work to keep every thread busy: one whole product per thread, BLAS
  // single-threaded so the two pools never spin against each other. Otherwise a plain loop: BLAS
  // parallelizes large products itself and runs small ones (pinv's m x m) on one thread, where an
  // OpenMP region would cost more than the product (and spin against other load on 2 cores).
  const bool big_enough = s.m * s.n * s.k >= kMinParallelWork;
  if (s.batch >= ctx.threads && ctx.threads > 1 && big_enough) {
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
