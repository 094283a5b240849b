// CPU tiled exact attention (FlashAttention-2 loop order). Arguments are validated by the entry in
// ops/flash_attention.cpp.
#pragma once

#include <cstddef>

#include "core/context.hpp"
#include "ops/flash_attention.hpp"

namespace attn::ops::cpu {

template <class T>
void flash_attention(const Context& ctx, const FlashShape& s, T scale, const T* q, const T* k, const T* v, T* out,
                     T* lse);

// Elements of T one worker needs: S/P tile, accumulator, running max and sum, padded to 64 bytes.
std::size_t flash_scratch_elems_per_thread(const FlashShape& s, std::size_t elem_bytes);

}  // namespace attn::ops::cpu
