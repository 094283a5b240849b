// Mode mixing is one complex GEMM per (mode, weight set): the rows of that mode across the set's
// batch items are a strided matrix (row pitch = sets * modes * channels), so no gather is needed.
// Modes run in parallel with single-threaded BLAS (products are small: a few heads x 64 x 64).
#include "ops/cpu/spectral.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "core/threads.hpp"
#include "ops/cpu/blas.hpp"

namespace attn::ops::cpu {

namespace {

void zgemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, const std::complex<float>* alpha,
           const std::complex<float>* a, int64_t lda, const std::complex<float>* b, int64_t ldb,
           const std::complex<float>* beta, std::complex<float>* c, int64_t ldc) {
  cblas_cgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta,
              c, int(ldc));
}

void zgemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, const std::complex<double>* alpha,
           const std::complex<double>* a, int64_t lda, const std::complex<double>* b, int64_t ldb,
           const std::complex<double>* beta, std::complex<double>* c, int64_t ldc) {
  cblas_zgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta,
              c, int(ldc));
}

}  // namespace

template <class T>
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* x, const std::complex<T>* w,
                  std::complex<T>* y) {
  const int64_t sets = s.weight_sets, items = s.batch / sets, cin = s.channels_in, cout = s.channels_out;
  const std::complex<T> one(1), zero(0);
  auto one_product = [&](int64_t u) {
    const int64_t m = u / sets, g = u % sets;
    zgemm(Trans::no, Trans::no, items, cout, cin, &one, x + (g * s.modes + m) * cin, sets * s.modes * cin,
          w + (g * s.modes + m) * cin * cout, cout, &zero, y + (g * s.modes + m) * cout, sets * s.modes * cout);
  };
  const int64_t units = s.modes * sets;
  if (ctx.threads > 1 && units >= ctx.threads) {
    BlasSingleThreaded single;
#pragma omp parallel for num_threads(ctx.threads) schedule(static)
    for (int64_t u = 0; u < units; ++u) one_product(u);
  } else {
    for (int64_t u = 0; u < units; ++u) one_product(u);
  }
}

template <class T>
void complex_gemm(const Context& ctx, const GemmShape& s, std::complex<T> alpha, const std::complex<T>* a,
                  const std::complex<T>* b, std::complex<T> beta, std::complex<T>* c) {
  auto one = [&](int64_t i) {
    zgemm(s.trans_a, s.trans_b, s.m, s.n, s.k, &alpha, a + i * s.stride_a, s.lda, b + i * s.stride_b, s.ldb, &beta,
          c + i * s.stride_c, s.ldc);
  };
  if (ctx.threads > 1 && s.batch >= ctx.threads) {
    BlasSingleThreaded single;
#pragma omp parallel for num_threads(ctx.threads) schedule(static)
    for (int64_t i = 0; i < s.batch; ++i) one(i);
  } else {
    for (int64_t i = 0; i < s.batch; ++i) one(i);
  }
}

template <class T>
void complex_activation(const Context&, ComplexActivation act, int64_t batch, int64_t rows, int64_t cols,
                        std::complex<T>* x) {
  const int64_t total_rows = batch * rows;
  for (int64_t r = 0; r < total_rows; ++r) {
    std::complex<T>* row = x + r * cols;
    if (act == ComplexActivation::tanh) {
      for (int64_t c = 0; c < cols; ++c) row[c] = std::tanh(row[c]);
      continue;
    }
    T mx = 0;  // |z| >= 0, so 0 is a valid lower bound for the max
    for (int64_t c = 0; c < cols; ++c) mx = std::max(mx, std::abs(row[c]));
    T sum = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const T e = std::exp(std::abs(row[c]) - mx);
      row[c] = std::complex<T>(e, 0);
      sum += e;
    }
    for (int64_t c = 0; c < cols; ++c) row[c] /= sum;
  }
}

#define ATTN_SPECTRAL_INSTANTIATE(T)                                                                              \
  template void spectral_mix<T>(const Context&, const SpectralMixShape&, const std::complex<T>*,                  \
                                const std::complex<T>*, std::complex<T>*);                                        \
  template void complex_gemm<T>(const Context&, const GemmShape&, std::complex<T>, const std::complex<T>*,        \
                                const std::complex<T>*, std::complex<T>, std::complex<T>*);                       \
  template void complex_activation<T>(const Context&, ComplexActivation, int64_t, int64_t, int64_t, std::complex<T>*);
ATTN_SPECTRAL_INSTANTIATE(float)
ATTN_SPECTRAL_INSTANTIATE(double)
#undef ATTN_SPECTRAL_INSTANTIATE

}  // namespace attn::ops::cpu
