// Instance normalization over the sequence axis (torch InstanceNorm1d, affine=False): each column
// of each [rows, cols] batch item is shifted to zero mean and scaled to unit (biased) variance:
// out[b, r, c] = (x[b, r, c] - mean_c) / sqrt(var_c + eps). In place allowed (x == out).
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

template <class T>
void instance_norm(const Context& ctx, int64_t batch, int64_t rows, int64_t cols, double eps, const T* x, T* out);

}  // namespace attn::ops
