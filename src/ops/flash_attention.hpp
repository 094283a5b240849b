// Tiled exact softmax attention with online softmax (FlashAttention-2 loop order): for each head,
// O = softmax(scale * Q K^T restricted to `mask`) V, without an N x N buffer. Extra memory is one
// tile set per thread plus O(N) for the optional log-sum-exp. Any N (edge tiles are masked).
// Also the fp64 reference of every case (T = double).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "ops/attention_mask.hpp"

namespace attn::ops {

struct FlashTiles {
  int64_t block_q = 64;   // query rows per tile (Br)
  int64_t block_k = 256;  // keys per tile (Bc)
};
// The card's L2-sized defaults: Br=64, Bc=256 for d <= 64, Bc=128 above.
FlashTiles default_flash_tiles(int64_t head_dim);

struct FlashShape {
  int64_t batch = 1;     // independent heads (B*H), each [seq_len, head_dim] contiguous
  int64_t seq_len = 0;
  int64_t head_dim = 0;
  AttentionMask mask;
  FlashTiles tiles;
};

// q, k, v, out: batch * seq_len * head_dim elements. lse (optional): batch * seq_len, row log-sum-exp
// of the scaled scores (+inf for a row with no allowed key, whose output is 0).
template <class T>
void flash_attention(const Context& ctx, const FlashShape& s, T scale, const T* q, const T* k, const T* v, T* out,
                     T* lse = nullptr);

// Scratch the kernel takes from ctx.workspace (per-thread tiles) for this shape and thread count.
std::size_t flash_attention_scratch_bytes(const FlashShape& s, std::size_t elem_bytes, int threads);

}  // namespace attn::ops
