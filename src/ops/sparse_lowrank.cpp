// Validated entries of the sparse projections, and GoDec / IALM composed from them and ops/svd.
#include "ops/sparse_lowrank.hpp"

#include <algorithm>
#include <cmath>

#include "ops/cpu/sparse_lowrank.hpp"
#include "ops/dispatch.hpp"
#include "ops/svd.hpp"

namespace attn::ops {

namespace {

double fro(int64_t count, const double* x) {
  double acc = 0;
  for (int64_t i = 0; i < count; ++i) acc += x[i] * x[i];
  return std::sqrt(acc);
}

// r = a - x - y (y may be null).
void residual(int64_t count, const double* a, const double* x, const double* y, double* r) {
  for (int64_t i = 0; i < count; ++i) r[i] = a[i] - x[i] - (y ? y[i] : 0.0);
}

}  // namespace

void keep_largest_abs(const Context& ctx, int64_t count, int64_t k, const double* x, double* out) {
  ATTN_CHECK(count > 0 && k >= 0 && x && out, "keep_largest_abs: bad operands");
  ATTN_DISPATCH_CPU_ONLY(ctx, "keep_largest_abs", cpu::keep_largest_abs(ctx, count, k, x, out));
}

void soft_threshold(const Context& ctx, int64_t count, double tau, const double* x, double* out) {
  ATTN_CHECK(count > 0 && tau >= 0 && x && out, "soft_threshold: bad operands");
  ATTN_DISPATCH_CPU_ONLY(ctx, "soft_threshold", cpu::soft_threshold(ctx, count, tau, x, out));
}

double sparse_lowrank_scratch_bytes(int64_t rows, int64_t cols) {
  return 8.0 * 4 * double(rows) * double(cols) + svd_scratch_bytes(rows, cols);
}

GodecResult godec(const Context& ctx, int64_t rows, int64_t cols, int64_t rank, int64_t nonzeros, int max_iters,
                  double tol, const double* a, double* l, double* s) {
  ATTN_CHECK(rows > 0 && cols > 0 && rank >= 0 && nonzeros >= 0 && max_iters >= 1 && a && l && s,
             "godec: bad operands");
  const int64_t count = rows * cols;
  double* r = ctx.ws().get<double>("godec.residual", count);
  double* l2 = ctx.ws().get<double>("godec.l", count);
  double* s2 = ctx.ws().get<double>("godec.s", count);
  const double norm = std::max(fro(count, a), 1e-300);
  const SvdShrink best_rank{.rows = rows, .cols = cols, .rank = rank};
  GodecResult out;
  // Start 1: S0 = 0, so the first L is the Eckart-Young optimum.
  // Start 2: L0 = 0, so the first S is the top-k sparse projection.
  auto run = [&](bool from_sparse, double* lo, double* so) {
    double obj = 0;
    int it = 0;
    if (from_sparse) {
      std::fill(lo, lo + count, 0.0);
      keep_largest_abs(ctx, count, nonzeros, a, so);
    } else {
      std::fill(so, so + count, 0.0);
    }
    for (double prev = INFINITY; it < max_iters; ++it) {
      if (!(from_sparse && it == 0)) {
        residual(count, a, so, nullptr, r);
        if (rank > 0) svd_shrink(ctx, best_rank, r, lo); else std::fill(lo, lo + count, 0.0);
        if (it == 0 && !from_sparse) {
          residual(count, a, lo, nullptr, r);
          out.lowrank_only = fro(count, r) / norm;
        }
      }
      residual(count, a, lo, nullptr, r);
      keep_largest_abs(ctx, count, nonzeros, r, so);
      residual(count, a, lo, so, r);
      obj = fro(count, r) / norm;
      if (it > 0 && prev - obj <= tol * prev) break;  // (prev is infinite in round 0)
      prev = obj;
    }
    out.iterations += it;
    return obj;
  };
  keep_largest_abs(ctx, count, nonzeros, a, r);
  residual(count, a, r, nullptr, r);
  out.sparse_only = fro(count, r) / norm;
  const double e1 = run(false, l, s), e2 = run(true, l2, s2);
  out.rel_fro = std::min(e1, e2);
  if (e2 < e1) {
    std::copy(l2, l2 + count, l);
    std::copy(s2, s2 + count, s);
  }
  return out;
}

RpcaResult rpca_ialm(const Context& ctx, int64_t rows, int64_t cols, double lambda, double tol, int max_iters,
                     const double* m, double* l, double* s) {
  ATTN_CHECK(rows > 0 && cols > 0 && lambda > 0 && tol > 0 && max_iters >= 1 && m && l && s, "rpca_ialm: bad operands");
  const int64_t count = rows * cols;
  double* y = ctx.ws().get<double>("rpca.y", count);
  double* t = ctx.ws().get<double>("rpca.t", count);
  double* sig = ctx.ws().get<double>("rpca.sigma", std::min(rows, cols));
  singular_values(ctx, rows, cols, m, sig);
  const double norm2 = sig[0], norm_f = std::max(fro(count, m), 1e-300);
  double norm_inf = 0;
  for (int64_t i = 0; i < count; ++i) norm_inf = std::max(norm_inf, std::abs(m[i]));
  const double j = std::max(norm2, norm_inf / lambda);
  for (int64_t i = 0; i < count; ++i) y[i] = m[i] / j;
  std::fill(l, l + count, 0.0);
  std::fill(s, s + count, 0.0);
  double mu = 1.25 / norm2;
  const double mu_bar = mu * 1e7, rho = 1.5;
  RpcaResult out;
  for (out.iterations = 1; out.iterations <= max_iters; ++out.iterations) {
    for (int64_t i = 0; i < count; ++i) t[i] = m[i] - l[i] + y[i] / mu;  // S-step
    soft_threshold(ctx, count, lambda / mu, t, s);
    for (int64_t i = 0; i < count; ++i) t[i] = m[i] - s[i] + y[i] / mu;  // L-step (SVT)
    out.svp = svd_shrink(ctx, {.rows = rows, .cols = cols, .rank = -1, .tau = 1.0 / mu}, t, l);
    residual(count, m, l, s, t);
    for (int64_t i = 0; i < count; ++i) y[i] += mu * t[i];
    mu = std::min(mu * rho, mu_bar);
    out.residual = fro(count, t) / norm_f;
    if (out.residual < tol) break;
  }
  out.iterations = std::min(out.iterations, max_iters);
  return out;
}

}  // namespace attn::ops
