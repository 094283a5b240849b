// Sparse + low-rank decompositions of a dense fp64 n x m matrix (lowrank.md card 5):
//  - keep_largest_abs / soft_threshold: the two sparse projections (CPU kernels);
//  - godec: GoDec (Zhou & Tao 2011) for a fixed (rank r, k nonzeros) budget, alternating exact
//    projections L = best rank r of (A - S) and S = the k largest |A - L|, from S0 = 0 and from
//    L0 = 0, keeping the better (so never worse than low-rank-only or sparse-only);
//  - rpca_ialm: principal component pursuit by the inexact augmented Lagrangian method (Lin, Chen,
//    Ma 2010; reference-code defaults: mu = 1.25/||M||_2, rho = 1.5, tol 1e-7) with full SVDs.
// godec and rpca_ialm compose the ops below and ops/svd.hpp, so they run wherever those do.
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

// out = x with all but the k largest-magnitude entries set to 0 (ties broken by index). out may alias x.
void keep_largest_abs(const Context& ctx, int64_t count, int64_t k, const double* x, double* out);
// out = sign(x) max(|x| - tau, 0). out may alias x.
void soft_threshold(const Context& ctx, int64_t count, double tau, const double* x, double* out);

struct GodecResult {
  double rel_fro = 0;          // ||A - L - S||_F / ||A||_F of the better start
  double lowrank_only = 0;     // ||A - A_r||_F / ||A||_F (Eckart-Young)
  double sparse_only = 0;      // ||A - P_k(A)||_F / ||A||_F
  int iterations = 0;
};

// l, s: [rows, cols] receive the better decomposition. Stops after max_iters rounds per start or
// when a round improves the objective by less than tol (relative).
GodecResult godec(const Context& ctx, int64_t rows, int64_t cols, int64_t rank, int64_t nonzeros, int max_iters,
                  double tol, const double* a, double* l, double* s);

struct RpcaResult {
  int iterations = 0;
  double residual = 0;  // ||M - L - S||_F / ||M||_F at exit
  int64_t svp = 0;      // singular values kept by the last SVT step
};

// min ||L||_* + lambda ||S||_1 s.t. L + S = M.
RpcaResult rpca_ialm(const Context& ctx, int64_t rows, int64_t cols, double lambda, double tol, int max_iters,
                     const double* m, double* l, double* s);

// Workspace bytes godec / rpca_ialm take for an rows x cols matrix.
double sparse_lowrank_scratch_bytes(int64_t rows, int64_t cols);

}  // namespace attn::ops
