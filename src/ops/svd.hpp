// Dense SVD-based building blocks of the oracles (lowrank.md cards 4, 5), fp64, one row-major
// rows x cols matrix per call, LAPACK (dgesdd, dgeqrf/dorgqr) underneath. Scratch from ctx.ws().
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

// s[0 .. min(rows, cols)) = singular values of a, descending (a is not modified).
void singular_values(const Context& ctx, int64_t rows, int64_t cols, const double* a, double* s);

struct SvdShrink {
  int64_t rows = 0, cols = 0;
  int64_t rank = -1;   // keep the `rank` largest singular values (-1: all)
  double tau = 0;      // then shrink each kept sigma to max(sigma - tau, 0) (singular value thresholding)
};

// out = U f(Sigma) V^T with f as in `shrink`: the best rank-r approximation (Eckart-Young) or the
// SVT step of robust PCA. out may alias a. Returns the number of nonzero singular values kept;
// sigma (optional, min(rows, cols)) receives all singular values of a.
int64_t svd_shrink(const Context& ctx, const SvdShrink& shrink, const double* a, double* out, double* sigma = nullptr);

struct RsvdShape {
  int64_t rows = 0, cols = 0;
  int64_t rank = 0;        // k
  int64_t oversample = 10; // p (l = k + p <= min(rows, cols))
  int64_t power_iters = 2; // q, each re-orthonormalized (HMT Alg. 4.4)
  int64_t sketch() const { return rank + oversample; }
};

// HMT randomized SVD: Q = orth(A Omega), q rounds of Q = orth(A orth(A^T Q)), B = Q^T A = U~ S V^T,
// U = Q U~. omega: [cols, l] (the caller draws it); u: [rows, k], s: [k], vt: [k, cols];
// basis (optional): [rows, l] receives Q (for the projection error ||(I - QQ^T) A||).
void randomized_svd(const Context& ctx, const RsvdShape& shape, const double* a, const double* omega, double* u,
                    double* s, double* vt, double* basis = nullptr);

// Workspace bytes of randomized_svd (and of svd_shrink / singular_values for an n x n matrix).
double randomized_svd_scratch_bytes(const RsvdShape& shape);
double svd_scratch_bytes(int64_t rows, int64_t cols);

}  // namespace attn::ops
