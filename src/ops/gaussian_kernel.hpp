// Gaussian kernel matrix between two point sets (SOFT's P and A): for each batch,
// out[i, j] = exp(-|scale * a_i - scale * b_j|^2 / 2), with the squared distance formed as
// |a|^2 + |b|^2 - 2 a.b (one GEMM) and clamped at 0 against cancellation.
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct GaussianKernelShape {
  int64_t batch = 1;
  int64_t rows = 0;  // points of a per batch
  int64_t cols = 0;  // points of b per batch
  int64_t dim = 0;
};

// a: [batch, rows, dim]; b: [batch, cols, dim]; out: [batch, rows, cols].
template <class T>
void gaussian_kernel(const Context& ctx, const GaussianKernelShape& s, T scale, const T* a, const T* b, T* out);

}  // namespace attn::ops
