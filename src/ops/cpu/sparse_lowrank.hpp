// CPU sparse projections. Validated by ops/sparse_lowrank.cpp.
#pragma once

#include "ops/sparse_lowrank.hpp"

namespace attn::ops::cpu {

void keep_largest_abs(const Context& ctx, int64_t count, int64_t k, const double* x, double* out);
void soft_threshold(const Context& ctx, int64_t count, double tau, const double* x, double* out);

}  // namespace attn::ops::cpu
