// The row geometry of the row-wise CUDA helpers (rowwise.cu, rowwise_guarded.cu): a RowShape as
// plain device-copyable values, and row r's offset across batches.
#pragma once

#include "ops/rowwise.hpp"

namespace attn::ops::cuda {

struct RowParams {
  long long rows, cols, ld, stride, batch;
  __device__ long long offset(long long r) const { return (r / rows) * stride + (r % rows) * ld; }
  long long total_rows() const { return rows * batch; }
};

inline RowParams params_of(const RowShape& s) { return RowParams{s.rows, s.cols, s.ld, s.stride, s.batch}; }

}  // namespace attn::ops::cuda
