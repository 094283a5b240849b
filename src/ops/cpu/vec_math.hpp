// Vectorized row helpers for the softmax-like kernels. The exponential is the hot spot of tiled
// attention next to the two GEMMs, so the fp32 version is an AVX2 polynomial (a scalar std::exp per
// element would cost as much as the products); fp64 uses std::exp2 (it is the reference path).
#pragma once

#include <cstdint>

namespace attn::ops::cpu {

// x[i] = 2^(a * x[i] - b) for i < n, returning the sum of the results. Arguments below -126
// (including -inf) give exactly 0, so masked entries need no special case. fp32 relative error is a
// few ulp (Cephes-style degree-6 polynomial on [-1/2, 1/2] plus exponent assembly).
float exp2_affine_sum(float* x, int64_t n, float a, float b);
double exp2_affine_sum(double* x, int64_t n, double a, double b);

// Largest of x[0..n) (-inf when n == 0).
float max_of(const float* x, int64_t n);
double max_of(const double* x, int64_t n);

}  // namespace attn::ops::cpu
