// Thin, type-overloaded CBLAS wrappers (row-major) so the templated CPU ops call one name for fp32
// and fp64. Sizes arrive as int64_t and are narrowed here, in one place.
#pragma once

#include <cblas.h>

#include <cstdint>

#include "ops/gemm.hpp"

namespace attn::ops::cpu {

inline CBLAS_TRANSPOSE to_cblas(Trans t) { return t == Trans::yes ? CblasTrans : CblasNoTrans; }

inline void blas_gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                      int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
              static_cast<int>(ldc));
}

inline void blas_gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                      int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
              static_cast<int>(ldc));
}

// y = alpha * op(A) x + beta * y, A row-major m x n.
inline void blas_gemv(Trans ta, int64_t m, int64_t n, float alpha, const float* a, int64_t lda, const float* x,
                      float beta, float* y) {
  cblas_sgemv(CblasRowMajor, to_cblas(ta), static_cast<int>(m), static_cast<int>(n), alpha, a,
              static_cast<int>(lda), x, 1, beta, y, 1);
}

inline void blas_gemv(Trans ta, int64_t m, int64_t n, double alpha, const double* a, int64_t lda, const double* x,
                      double beta, double* y) {
  cblas_dgemv(CblasRowMajor, to_cblas(ta), static_cast<int>(m), static_cast<int>(n), alpha, a,
              static_cast<int>(lda), x, 1, beta, y, 1);
}

}  // namespace attn::ops::cpu
