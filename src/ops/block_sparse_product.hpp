// Unnormalized kernel product restricted to a block layout (the support of a sparse + low-rank
// method, sparse.md card 4b): for each row i and its active key blocks S_i,
//   out_i = sum_{j in S_i} (x_i . y_j) v_j,   rowsum_i = sum_{j in S_i} x_i . y_j.
// Scatterbrain and Pixelfly subtract it from the low-rank term so that nothing is counted twice on
// the support. Blocks as in ops::flash_attention's layout (the same CSR); O(nnz (p + dv)).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "ops/flash_attention.hpp"

namespace attn::ops {

struct BlockProductShape {
  int64_t batch = 1;
  int64_t seq_len = 0;
  int64_t features = 0;   // p: columns of x and y
  int64_t value_dim = 0;
  FlashLayout layout;     // required (block > 0)
};

// x, y: [batch, seq_len, features]; v, out: [batch, seq_len, value_dim]; rowsum: [batch, seq_len].
template <class T>
void block_sparse_product(const Context& ctx, const BlockProductShape& s, const T* x, const T* y, const T* v, T* out,
                          T* rowsum);

// Workspace bytes: one tile per thread on the CPU; none on the GPU.
std::size_t block_sparse_product_scratch_bytes(const BlockProductShape& s, std::size_t elem_bytes, int threads,
                                               Device device = Device::cpu);

}  // namespace attn::ops
