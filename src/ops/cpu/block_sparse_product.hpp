// CPU block-sparse kernel product (validated in ops/block_sparse_product.cpp).
#pragma once

#include <cstddef>

#include "ops/block_sparse_product.hpp"

namespace attn::ops::cpu {

template <class T>
void block_sparse_product(const Context& ctx, const BlockProductShape& s, const T* x, const T* y, const T* v, T* out,
                          T* rowsum);

std::size_t block_sparse_product_scratch_elems();  // per worker

}  // namespace attn::ops::cpu
