// dgesdd for full SVDs; Householder QR (dgeqrf + dorgqr) for every orthonormalization of the range
// finder, since unorthogonalized power iterations collapse the subspace in finite precision
// (HMT Alg. 4.3 vs 4.4).
#include "ops/cpu/svd.hpp"

#include <lapacke.h>

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "ops/cpu/lapack_check.hpp"
#include "ops/cpu/gemm.hpp"

namespace attn::ops::cpu {

namespace {

lapack_int li(int64_t x) { return static_cast<lapack_int>(x); }

// y [rows, l] <- an orthonormal basis of its columns.
void orthonormalize(const Context& ctx, int64_t rows, int64_t l, double* y) {
  double* tau = ctx.ws().get<double>("svd.tau", l);
  lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, li(rows), li(l), y, li(l), tau);
  check_lapack(info, "randomized_svd: dgeqrf");
  info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, li(rows), li(l), li(l), y, li(l), tau);
  check_lapack(info, "randomized_svd: dorgqr");
}

}  // namespace

void singular_values(const Context& ctx, int64_t rows, int64_t cols, const double* a, double* s) {
  double* m = ctx.ws().get<double>("svd.a", rows * cols);
  std::memcpy(m, a, sizeof(double) * rows * cols);
  const lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', li(rows), li(cols), m, li(cols), s, nullptr, li(cols),
                                         nullptr, li(cols));
  check_lapack(info, "singular_values: dgesdd");
}

int64_t svd_shrink(const Context& ctx, const SvdShrink& sh, const double* a, double* out, double* sigma) {
  const int64_t r = sh.rows, c = sh.cols, k = std::min(r, c);
  double* m = ctx.ws().get<double>("svd.a", r * c);
  double* u = ctx.ws().get<double>("svd.u", r * k);
  double* vt = ctx.ws().get<double>("svd.vt", k * c);
  double* s = ctx.ws().get<double>("svd.s", k);
  std::memcpy(m, a, sizeof(double) * r * c);
  const lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', li(r), li(c), m, li(c), s, u, li(k), vt, li(c));
  check_lapack(info, "svd_shrink: dgesdd");
  if (sigma) std::memcpy(sigma, s, sizeof(double) * k);
  const int64_t limit = sh.rank < 0 ? k : std::min(sh.rank, k);
  int64_t kept = 0;
  for (int64_t i = 0; i < limit && s[i] - sh.tau > 0; ++i) ++kept;
  for (int64_t i = 0; i < r; ++i)  // U[:, :kept] f(S), in place
    for (int64_t j = 0; j < kept; ++j) u[i * k + j] *= s[j] - sh.tau;
  if (kept == 0) {
    std::memset(out, 0, sizeof(double) * r * c);
    return 0;
  }
  GemmShape g = gemm_shape(Trans::no, Trans::no, r, c, kept);
  g.lda = k;
  cpu::gemm<double>(ctx, g, 1.0, u, vt, 0.0, out);
  return kept;
}

void randomized_svd(const Context& ctx, const RsvdShape& s, const double* a, const double* omega, double* u,
                    double* sv, double* vt, double* basis) {
  const int64_t rows = s.rows, cols = s.cols, l = s.sketch(), k = s.rank;
  double* y = ctx.ws().get<double>("rsvd.y", rows * l);
  double* z = ctx.ws().get<double>("rsvd.z", cols * l);
  cpu::gemm<double>(ctx, gemm_shape(Trans::no, Trans::no, rows, l, cols), 1.0, a, omega, 0.0, y);
  orthonormalize(ctx, rows, l, y);
  for (int64_t it = 0; it < s.power_iters; ++it) {
    cpu::gemm<double>(ctx, gemm_shape(Trans::yes, Trans::no, cols, l, rows), 1.0, a, y, 0.0, z);
    orthonormalize(ctx, cols, l, z);
    cpu::gemm<double>(ctx, gemm_shape(Trans::no, Trans::no, rows, l, cols), 1.0, a, z, 0.0, y);
    orthonormalize(ctx, rows, l, y);
  }
  if (basis) std::memcpy(basis, y, sizeof(double) * rows * l);
  double* b = ctx.ws().get<double>("rsvd.b", l * cols);
  double* ub = ctx.ws().get<double>("rsvd.ub", l * l);
  double* sb = ctx.ws().get<double>("rsvd.s", l);
  double* vb = ctx.ws().get<double>("rsvd.vt", l * cols);
  cpu::gemm<double>(ctx, gemm_shape(Trans::yes, Trans::no, l, cols, rows), 1.0, y, a, 0.0, b);  // B = Q^T A
  const lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', li(l), li(cols), b, li(cols), sb, ub, li(l), vb,
                                         li(cols));
  check_lapack(info, "randomized_svd: dgesdd");
  GemmShape g = gemm_shape(Trans::no, Trans::no, rows, k, l);
  g.ldb = l;
  cpu::gemm<double>(ctx, g, 1.0, y, ub, 0.0, u);  // U = Q U~[:, :k]
  std::memcpy(sv, sb, sizeof(double) * k);
  std::memcpy(vt, vb, sizeof(double) * k * cols);
}

}  // namespace attn::ops::cpu
