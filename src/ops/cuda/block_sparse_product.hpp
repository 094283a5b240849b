// CUDA unnormalized kernel product on a block layout (the support of the sparse + low-rank
// methods). No CUDA types here; pointers (and the layout's CSR) are device pointers, arguments
// validated by the entry in ops/block_sparse_product.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/block_sparse_product.hpp"

namespace attn::ops::cuda {

// UnsupportedError naming the op for value_dim > 256.
template <class T>
void block_sparse_product(const Context& ctx, const BlockProductShape& s, const T* x, const T* y, const T* v, T* out,
                          T* rowsum);

}  // namespace attn::ops::cuda
