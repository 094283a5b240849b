// Mode mixing is one complex GEMM per (mode, weight set): the rows of that mode across the set's
// batch items are a strided matrix (row pitch = sets * bins * channels), so no gather is needed.
// Modes run in parallel with single-threaded BLAS (products are small: a few heads x 64 x 64).
#include "ops/cpu/spectral.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

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
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* xhat,
                  const std::complex<T>* w, const int64_t* src, const int64_t* dst, std::complex<T>* yhat) {
  std::memset(static_cast<void*>(yhat), 0, sizeof(std::complex<T>) * s.batch * s.bins_out * s.channels_out);
  const int64_t sets = s.weight_sets, items = s.batch / sets, cin = s.channels_in, cout = s.channels_out;
  const std::complex<T> one(1), zero(0);
  auto one_product = [&](int64_t u) {
    const int64_t m = u / sets, g = u % sets;
    zgemm(Trans::no, Trans::no, items, cout, cin, &one, xhat + (g * s.bins_in + src[m]) * cin, sets * s.bins_in * cin,
          w + (g * s.modes + m) * cin * cout, cout, &zero, yhat + (g * s.bins_out + dst[m]) * cout,
          sets * s.bins_out * cout);
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
void spectral_multiply(const Context& ctx, int64_t batch, int64_t bins, int64_t channels, int64_t sets,
                       const std::complex<T>* khat, std::complex<T>* xhat) {
  const int64_t per_item = bins * channels;
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (batch * per_item >= 65536)
  for (int64_t b = 0; b < batch; ++b) {
    const std::complex<T>* k = khat + (b % sets) * per_item;
    std::complex<T>* x = xhat + b * per_item;
    for (int64_t i = 0; i < per_item; ++i) x[i] *= k[i];
  }
}

template <class T>
void gather_bins(const Context&, int64_t batch, int64_t bins, int64_t channels, const int64_t* idx, int64_t count,
                 const std::complex<T>* xhat, std::complex<T>* out) {
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t m = 0; m < count; ++m)
      std::memcpy(static_cast<void*>(out + (b * count + m) * channels), xhat + (b * bins + idx[m]) * channels,
                  sizeof(std::complex<T>) * channels);
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
                                const std::complex<T>*, const int64_t*, const int64_t*, std::complex<T>*);        \
  template void spectral_multiply<T>(const Context&, int64_t, int64_t, int64_t, int64_t, const std::complex<T>*,  \
                                     std::complex<T>*);                                                           \
  template void gather_bins<T>(const Context&, int64_t, int64_t, int64_t, const int64_t*, int64_t,                \
                               const std::complex<T>*, std::complex<T>*);                                         \
  template void complex_gemm<T>(const Context&, const GemmShape&, std::complex<T>, const std::complex<T>*,        \
                                const std::complex<T>*, std::complex<T>, std::complex<T>*);                       \
  template void complex_activation<T>(const Context&, ComplexActivation, int64_t, int64_t, int64_t, std::complex<T>*);
ATTN_SPECTRAL_INSTANTIATE(float)
ATTN_SPECTRAL_INSTANTIATE(double)
#undef ATTN_SPECTRAL_INSTANTIATE

}  // namespace attn::ops::cpu
