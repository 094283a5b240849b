// Validated entries of the SVD building blocks.
#include "ops/svd.hpp"

#include <algorithm>

#include "ops/cpu/svd.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

double svd_scratch_bytes(int64_t rows, int64_t cols) {
  const double k = double(std::min(rows, cols));
  return 8.0 * (double(rows) * double(cols) + double(rows) * k + k * double(cols) + k);
}

double randomized_svd_scratch_bytes(const RsvdShape& s) {
  const double l = double(s.sketch()), r = double(s.rows), c = double(s.cols);
  return 8.0 * (r * l + c * l + l + l * c + l * l + l + l * c);  // Y, Z, tau, B, U~, S, V^T
}

void singular_values(const Context& ctx, int64_t rows, int64_t cols, const double* a, double* s) {
  ATTN_CHECK(rows > 0 && cols > 0 && a && s && ctx.workspace, "singular_values: bad operands");
  ATTN_DISPATCH_CPU_ONLY(ctx, "singular_values", cpu::singular_values(ctx, rows, cols, a, s));
}

int64_t svd_shrink(const Context& ctx, const SvdShrink& sh, const double* a, double* out, double* sigma) {
  ATTN_CHECK(sh.rows > 0 && sh.cols > 0 && sh.tau >= 0 && a && out && ctx.workspace, "svd_shrink: bad operands");
  int64_t kept = 0;
  ATTN_DISPATCH_CPU_ONLY(ctx, "svd_shrink", kept = cpu::svd_shrink(ctx, sh, a, out, sigma));
  return kept;
}

void randomized_svd(const Context& ctx, const RsvdShape& s, const double* a, const double* omega, double* u,
                    double* sv, double* vt, double* basis) {
  ATTN_CHECK(s.rank >= 1 && s.oversample >= 0 && s.power_iters >= 0, "randomized_svd: bad rank/oversample/iters");
  ATTN_CHECK(s.sketch() <= std::min(s.rows, s.cols), "randomized_svd: rank + oversample exceeds min(rows, cols)");
  ATTN_CHECK(a && omega && u && sv && vt && ctx.workspace, "randomized_svd: null operand");
  ATTN_DISPATCH_CPU_ONLY(ctx, "randomized_svd", cpu::randomized_svd(ctx, s, a, omega, u, sv, vt, basis));
}

}  // namespace attn::ops
