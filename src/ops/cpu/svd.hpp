// CPU SVD building blocks (LAPACKE). Validated by ops/svd.cpp.
#pragma once

#include "ops/svd.hpp"

namespace attn::ops::cpu {

void singular_values(const Context& ctx, int64_t rows, int64_t cols, const double* a, double* s);
int64_t svd_shrink(const Context& ctx, const SvdShrink& sh, const double* a, double* out, double* sigma);
void randomized_svd(const Context& ctx, const RsvdShape& s, const double* a, const double* omega, double* u,
                    double* sv, double* vt, double* basis);

}  // namespace attn::ops::cpu
