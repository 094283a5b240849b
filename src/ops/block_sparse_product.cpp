// Validated entry of the block-sparse kernel product.
#include "ops/block_sparse_product.hpp"

#include <algorithm>

#include "ops/cpu/block_sparse_product.hpp"
#include "ops/cuda/block_sparse_product.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

std::size_t block_sparse_product_scratch_bytes(const BlockProductShape& s, std::size_t elem_bytes, int threads,
                                               Device device) {
  if (device == Device::cuda) return 0;  // ops/cuda/block_sparse_product.cu keeps no scratch
  return cpu::block_sparse_product_scratch_elems() * elem_bytes * static_cast<std::size_t>(std::max(1, threads));
}

template <class T>
void block_sparse_product(const Context& ctx, const BlockProductShape& s, const T* x, const T* y, const T* v, T* out,
                          T* rowsum) {
  ATTN_CHECK(s.batch >= 1 && s.seq_len >= 1 && s.features >= 1 && s.value_dim >= 1, "block_sparse_product: bad shape");
  ATTN_CHECK(s.layout.active() && s.layout.row_ptr != nullptr && s.layout.col_idx != nullptr &&
                 s.layout.heads >= 1 && s.batch % s.layout.heads == 0,
             "block_sparse_product: needs a layout whose head count divides the batch");
  ATTN_CHECK(x != nullptr && y != nullptr && v != nullptr && out != nullptr && rowsum != nullptr,
             "block_sparse_product: null operand");
  ATTN_CHECK(ctx.workspace != nullptr, "block_sparse_product: the context needs a workspace");
  ATTN_DISPATCH(ctx, "block_sparse_product", cpu::block_sparse_product(ctx, s, x, y, v, out, rowsum),
                cuda::block_sparse_product(ctx, s, x, y, v, out, rowsum));
}

template void block_sparse_product<float>(const Context&, const BlockProductShape&, const float*, const float*,
                                          const float*, float*, float*);
template void block_sparse_product<double>(const Context&, const BlockProductShape&, const double*, const double*,
                                           const double*, double*, double*);

}  // namespace attn::ops
