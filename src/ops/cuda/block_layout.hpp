// CUDA construction of a CSR block layout from selected flat block ids (MRA's data-dependent
// layout). No CUDA types here; pointers are device pointers, arguments validated by the entry in
// ops/block_layout.cpp.
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops::cuda {

void layout_from_indices(const Context& ctx, int64_t heads, int64_t blocks, int64_t count, const int64_t* idx,
                         int64_t* row_ptr, int64_t* col_idx);

}  // namespace attn::ops::cuda
