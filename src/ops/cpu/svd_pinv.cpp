// dgesdd per batch (A = U S V^T, out = V S^+ U^T) and dsyevd on the symmetric part; the matrices
// are s x s with s the sample count, so the host fp64 path costs O(s^3) and never N.
#include "ops/cpu/svd_pinv.hpp"

#include <lapacke.h>

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "ops/cpu/lapack_check.hpp"

namespace attn::ops::cpu {

template <class T>
int64_t truncated_pinv(const Context&, const SvdPinvShape& s, const T* a, const T* diag_shift, double shift_scale,
                       T* out) {
  const int64_t r = s.rows, c = s.cols, k = std::min(r, c);
  std::vector<double> m(static_cast<size_t>(r * c)), u(static_cast<size_t>(r * k)), vt(static_cast<size_t>(k * c)),
      sv(static_cast<size_t>(k));
  int64_t min_rank = k;
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t e = 0; e < r * c; ++e) m[e] = static_cast<double>(a[b * r * c + e]);
    if (diag_shift)
      for (int64_t i = 0; i < r; ++i) m[i * c + i] += shift_scale * static_cast<double>(diag_shift[b]);
    const lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', static_cast<lapack_int>(r), static_cast<lapack_int>(c),
                                           m.data(), static_cast<lapack_int>(c), sv.data(), u.data(),
                                           static_cast<lapack_int>(k), vt.data(), static_cast<lapack_int>(c));
    check_lapack(info, "truncated_pinv: dgesdd");
    const double cut = s.rcond * sv[0];
    int64_t kept = 0;
    for (int64_t i = 0; i < k; ++i) kept += sv[i] > cut && sv[i] > 0;
    min_rank = std::min(min_rank, kept);
    T* o = out + b * c * r;  // [c, r] = V[:, :kept] S^-1 U[:, :kept]^T
    for (int64_t i = 0; i < c; ++i)
      for (int64_t j = 0; j < r; ++j) {
        double acc = 0;
        for (int64_t t = 0; t < kept; ++t) acc += vt[t * c + i] * u[j * k + t] / sv[t];
        o[i * r + j] = static_cast<T>(acc);
      }
  }
  return min_rank;
}

template <class T>
void min_sym_eigenvalue(const Context&, int64_t batch, int64_t n, const T* a, double cap, T* out) {
  std::vector<double> m(static_cast<size_t>(n * n)), w(static_cast<size_t>(n));
  for (int64_t b = 0; b < batch; ++b) {
    const T* ab = a + b * n * n;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) m[i * n + j] = 0.5 * (static_cast<double>(ab[i * n + j]) + ab[j * n + i]);
    const lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'N', 'U', static_cast<lapack_int>(n), m.data(),
                                           static_cast<lapack_int>(n), w.data());
    check_lapack(info, "min_sym_eigenvalue: dsyevd");
    out[b] = static_cast<T>(std::min(w[0], cap));
  }
}

template int64_t truncated_pinv<float>(const Context&, const SvdPinvShape&, const float*, const float*, double, float*);
template int64_t truncated_pinv<double>(const Context&, const SvdPinvShape&, const double*, const double*, double,
                                        double*);
template void min_sym_eigenvalue<float>(const Context&, int64_t, int64_t, const float*, double, float*);
template void min_sym_eigenvalue<double>(const Context&, int64_t, int64_t, const double*, double, double*);

}  // namespace attn::ops::cpu
