// Small reductions shared by methods and metrics.
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

// out[b, i, :] = mean of x[b, 0..N) (or of x[b, 0..i] when causal): the mean-of-V baseline.
template <class T>
void mean_rows(const Context& ctx, int64_t batch, int64_t seq_len, int64_t dim, bool causal, const T* x, T* out);

}  // namespace attn::ops
