// Host-side draw of the Performer projection W [m, d] (kernel.md card 1, step 2). Drawn in fp64 and
// rounded once for the fp32 overload, so both precisions see the same directions.
//   orthogonal: block b is the Q of the QR of a Gaussian d x d matrix G_b (stream offset b d^2), with
//   Q <- Q diag(sign(diag R)) so the directions are Haar (the official code omits the fix); the
//   block's rows are the columns of Q, the last block truncated to m mod d rows. Row norms are
//   chi_d draws (norms of independent N(0, I_d) vectors from the "chi_norms" sub-stream) or sqrt(d).
//   iid: every entry N(0, 1).
#include <lapacke.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "ops/random_features.hpp"

namespace attn::ops {

namespace {

void draw_projection_f64(const Rng& rng, int64_t m, int64_t d, bool orthogonal, bool chi_norms, double* out) {
  ATTN_CHECK(m > 0 && d > 0, "draw_projection: m and d must be positive");
  ATTN_CHECK(out != nullptr, "draw_projection: null output");
  if (!orthogonal) {
    rng.fill_normal(out, m * d);
    return;
  }
  const Rng chi = rng.derive("chi_norms");
  std::vector<double> g(static_cast<std::size_t>(d * d)), tau(static_cast<std::size_t>(d));
  std::vector<double> gauss(static_cast<std::size_t>(d));
  const int dn = static_cast<int>(d);
  for (int64_t b = 0; b * d < m; ++b) {
    rng.fill_normal(g.data(), d * d, static_cast<uint64_t>(b * d * d));
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, dn, dn, g.data(), dn, tau.data());
    ATTN_CHECK(info == 0, "draw_projection: dgeqrf failed");
    std::vector<double> sign(static_cast<std::size_t>(d));
    for (int64_t i = 0; i < d; ++i) sign[i] = g[i * d + i] < 0.0 ? -1.0 : 1.0;  // diag(R) before orgqr
    info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, dn, dn, dn, g.data(), dn, tau.data());
    ATTN_CHECK(info == 0, "draw_projection: dorgqr failed");
    const int64_t rows = std::min(d, m - b * d);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t r = b * d + i;
      double norm = std::sqrt(static_cast<double>(d));
      if (chi_norms) {
        chi.fill_normal(gauss.data(), d, static_cast<uint64_t>(r * d));
        double sq = 0.0;
        for (double v : gauss) sq += v * v;
        norm = std::sqrt(sq);
      }
      for (int64_t c = 0; c < d; ++c) out[r * d + c] = g[c * d + i] * sign[i] * norm;  // column i of Q
    }
  }
}

}  // namespace

void draw_projection(const Rng& rng, int64_t m, int64_t d, bool orthogonal, bool chi_norms, double* out) {
  draw_projection_f64(rng, m, d, orthogonal, chi_norms, out);
}

void draw_projection(const Rng& rng, int64_t m, int64_t d, bool orthogonal, bool chi_norms, float* out) {
  ATTN_CHECK(m > 0 && d > 0, "draw_projection: m and d must be positive");
  std::vector<double> w(static_cast<std::size_t>(m * d));
  draw_projection_f64(rng, m, d, orthogonal, chi_norms, w.data());
  for (std::size_t i = 0; i < w.size(); ++i) out[i] = static_cast<float>(w[i]);
}

}  // namespace attn::ops
