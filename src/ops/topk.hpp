// Top-k selection (MRA's global choice of blocks to refine, sparse.md card 5) and the matching
// scatter of a constant into the selected positions (masking them out of the low-resolution term).
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

// idx[b, 0..k): positions of the k largest of x[b, 0..n), in ascending position order. Ties go to
// the lower position, so the selection is deterministic. Requires 0 <= k <= n.
template <class T>
void topk_indices(const Context& ctx, int64_t batch, int64_t n, int64_t k, const T* x, int64_t* idx);

// x[b, idx[b, e]] = value for e < k.
template <class T>
void fill_at(const Context& ctx, int64_t batch, int64_t n, int64_t k, const int64_t* idx, T value, T* x);

}  // namespace attn::ops
