// Dense small-matrix linear algebra of the CUR / SMS-Nystrom family (lowrank.md card 2), in fp64
// whatever T is: a truncated SVD pseudo-inverse and the smallest eigenvalue of a symmetric part.
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct SvdPinvShape {
  int64_t batch = 1;
  int64_t rows = 0, cols = 0;  // a: [batch, rows, cols]; out: [batch, cols, rows]
  double rcond = 1e-10;        // singular values <= rcond * sigma_max are dropped
};

// out[b] = (a[b] + shift_scale * diag_shift[b] * I)^+ (diag_shift: [batch] or null; the diagonal
// shift needs rows == cols). Returns the smallest rank kept over the batch.
template <class T>
int64_t truncated_pinv(const Context& ctx, const SvdPinvShape& s, const T* a, const T* diag_shift, double shift_scale,
                       T* out);

// out[b] = min(lambda_min((a[b] + a[b]^T) / 2), cap), a: [batch, n, n] (SMS-Nystrom: cap 0).
template <class T>
void min_sym_eigenvalue(const Context& ctx, int64_t batch, int64_t n, const T* a, double cap, T* out);

}  // namespace attn::ops
