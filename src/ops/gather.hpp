// Row gathers and scatters along the sequence: the sampled rows and columns of CUR, SMS-Nystrom and
// Skeinformer, and the sampled keys of randomized attention. Indices are int64 on the context's
// device, one list of `count` per batch (or one list shared by all batches).
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct GatherShape {
  int64_t batch = 1;
  int64_t src_rows = 0;  // rows of each source block (indices must be < src_rows)
  int64_t count = 0;     // gathered rows per batch
  int64_t dim = 0;       // columns of every row
  bool shared_index = false;  // one index list for all batches
};

// out[b, i, :] = alpha * x[b, idx[b, i], :] + beta * out[b, i, :]   (x: [batch, src_rows, dim]).
template <class T>
void gather_rows(const Context& ctx, const GatherShape& s, const int64_t* idx, const T* x, T alpha, T beta, T* out);

// out[b, idx[b, i], :] = x[b, i, :]; with duplicate indices the last write wins (rows are equal for
// Skeinformer's pilot reuse).
template <class T>
void scatter_rows(const Context& ctx, const GatherShape& s, const int64_t* idx, const T* x, T* out);

}  // namespace attn::ops
