// Windowed pooling along the sequence (ContextPool, kernel.md card 7): output row j is a normalized
// weighted average of the input rows around centre c_j = j * stride + (stride - 1) / 2:
//   box:      the rows [j * stride, (j + 1) * stride) (the last block truncated)
//   gaussian: weights exp(-(i - c_j)^2 / (2 sigma^2)) for |i - c_j| <= 2 sigma (sigma 0: row c_j only)
// Weights are renormalized over the rows that exist (edges). Output rows: ceil(N / stride).
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

enum class PoolWindow { box, gaussian };

struct WindowPoolShape {
  int64_t batch = 1;
  int64_t seq_len = 0;
  int64_t dim = 0;
  int64_t stride = 1;
  PoolWindow window = PoolWindow::box;
  double sigma = 0;  // gaussian only
};

int64_t pooled_rows(const WindowPoolShape& s);

// x: [batch, seq_len, dim]; out: [batch, pooled_rows, dim].
template <class T>
void window_pool(const Context& ctx, const WindowPoolShape& s, const T* x, T* out);

}  // namespace attn::ops
