// One worker per (head, 64-row query tile): S = Q_t K_j^T for 256-key tiles by single-threaded
// BLAS, the kernel applied in place (in double for acos and pow), then out_t += S V_j.
#include "ops/cpu/angular_kernel.hpp"

#include <algorithm>
#include <cmath>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/threads.hpp"
#include "ops/cpu/blas.hpp"

namespace attn::ops::cpu {

namespace {
constexpr int64_t kRows = 64, kCols = 256;
constexpr double kPi = 3.14159265358979323846;
}  // namespace

// Per worker: the score tile and the inverse norms of its rows and columns.
std::size_t angular_kernel_scratch_elems() { return static_cast<std::size_t>(kRows * kCols + kRows + kCols); }

namespace {
template <class T>
void inverse_norms(const T* x, int64_t rows, int64_t d, T* out) {
  for (int64_t r = 0; r < rows; ++r) {
    double sq = 0;
    for (int64_t c = 0; c < d; ++c) sq += static_cast<double>(x[r * d + c]) * static_cast<double>(x[r * d + c]);
    out[r] = sq > 0 ? static_cast<T>(1.0 / std::sqrt(sq)) : T(0);
  }
}
}  // namespace

template <class T>
void angular_kernel_attention(const Context& ctx, const AngularKernelShape& s, const T* q, const T* k, const T* v,
                              T* out) {
  const int64_t n = s.seq_len, d = s.head_dim, dv = s.value_dim, tiles = (n + kRows - 1) / kRows;
  const int threads = std::max(1, ctx.threads);
  T* scratch = ctx.ws().get<T>("angular_kernel.scratch", static_cast<int64_t>(angular_kernel_scratch_elems()) * threads);
  const double bits = static_cast<double>(s.bits);
  BlasSingleThreaded single;
#pragma omp parallel num_threads(threads)
  {
#ifdef _OPENMP
    T* tile = scratch + static_cast<int64_t>(omp_get_thread_num()) * static_cast<int64_t>(angular_kernel_scratch_elems());
#else
    T* tile = scratch;
#endif
    T* row_inv = tile + kRows * kCols;
    T* col_inv = row_inv + kRows;
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < s.batch * tiles; ++item) {
      const int64_t b = item / tiles, r0 = (item % tiles) * kRows, rows = std::min(kRows, n - r0);
      const T* qb = q + (b * n + r0) * d;
      T* ob = out + (b * n + r0) * dv;
      inverse_norms(qb, rows, d, row_inv);
      for (int64_t c0 = 0; c0 < n; c0 += kCols) {
        const int64_t cols = std::min(kCols, n - c0);
        const T* kb = k + (b * n + c0) * d;
        inverse_norms(kb, cols, d, col_inv);
        blas_gemm(Trans::no, Trans::yes, rows, cols, d, T(1), qb, d, kb, d, T(0), tile, kCols);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) {
            const double cosine = static_cast<double>(tile[r * kCols + c]) * static_cast<double>(row_inv[r]) *
                                  static_cast<double>(col_inv[c]);
            const double x = std::clamp(cosine, -1.0, 1.0);
            tile[r * kCols + c] = static_cast<T>(std::pow(1.0 - std::acos(x) / kPi, bits));
          }
        blas_gemm(Trans::no, Trans::no, rows, dv, cols, T(1), tile, kCols, v + (b * n + c0) * dv, dv,
                  c0 == 0 ? T(0) : T(1), ob, dv);
      }
    }
  }
}

template void angular_kernel_attention<float>(const Context&, const AngularKernelShape&, const float*, const float*,
                                              const float*, float*);
template void angular_kernel_attention<double>(const Context&, const AngularKernelShape&, const double*,
                                               const double*, const double*, double*);

}  // namespace attn::ops::cpu
