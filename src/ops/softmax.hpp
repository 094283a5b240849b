// Row softmax in place with scale and causal mask: for each row r of each batch,
// x[r, c] <- exp(scale * x[r, c] - max) / sum over the allowed columns c, and exactly 0 elsewhere.
// A column is allowed unless `causal` and c > r + causal_offset. A row with no allowed column is 0.
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "core/half.hpp"

namespace attn::ops {

struct SoftmaxShape {
  int64_t rows = 0, cols = 0;
  int64_t ld = 0;        // row pitch in elements (>= cols)
  int64_t stride = 0;    // elements between batches
  int64_t batch = 1;
  bool causal = false;
  int64_t causal_offset = 0;  // global index of row 0 minus global index of column 0
};

template <class T>
void softmax_rows(const Context& ctx, const SoftmaxShape& s, T scale, T* x);
// fp16 / bf16 rows, reduced in fp32 and rounded once on the write (GPU only: the CPU backend runs
// fp32/fp64, so a CPU call is UnsupportedError naming the op).
void softmax_rows(const Context& ctx, const SoftmaxShape& s, float scale, Half* x);
void softmax_rows(const Context& ctx, const SoftmaxShape& s, float scale, BFloat16* x);

}  // namespace attn::ops
