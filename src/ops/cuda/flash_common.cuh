// What the two fused attention kernels share (flash_attention.cu: SIMT, fp32/fp64;
// flash_attention_tc.cu: tensor cores, fp16/bf16): the launch parameters, the host-side filling of
// them from a validated FlashShape, the per-row key interval of the mask, and the mapping of a
// block index to its (head, query rows, active key blocks). CUDA-only header.
#pragma once

#include <cstdint>

#include "ops/flash_attention.hpp"

namespace attn::ops::cuda {

constexpr double kLog2e = 1.4426950408889634074;
constexpr double kLn2 = 0.69314718055994530942;

// Plain parameters of one launch (validated on the host before the launch).
struct FlashParams {
  long long batch;        // heads (B*H)
  long long seq_len;      // query rows per head
  long long seq_len_k;    // key rows per head
  int head_dim;           // d <= kD of the instantiation
  bool causal;            // mask: j <= i
  long long window;       // mask: |i - j| <= window (-1: off)
  long long mask_block;   // mask: disjoint blocks (0: off)
  long long block_halo;   // mask: keys reach this far past each side of the query's block
  long long layout_block; // tokens per layout block (0: no layout)
  long long layout_heads; // distinct layouts; head b uses b % layout_heads
  const int64_t* row_ptr; // CSR of the layout (device)
  const int64_t* col_idx;
  long long tiles_per_block;  // query tiles per layout block (layout only)
  long long q_tiles;          // query tiles per head
};

// The launch parameters of a validated shape (tiles_per_block and q_tiles are set by the launcher,
// which knows its query tile size).
inline FlashParams flash_params(const FlashShape& s) {
  FlashParams p{};
  p.batch = s.batch;
  p.seq_len = s.seq_len;
  p.seq_len_k = s.keys();
  p.head_dim = static_cast<int>(s.head_dim);
  p.causal = s.mask.causal;
  p.window = s.mask.window;
  p.mask_block = s.mask.block;
  p.block_halo = s.mask.block_halo;
  p.layout_block = s.layout.active() ? s.layout.block : 0;
  p.layout_heads = s.layout.active() ? s.layout.heads : 1;
  p.row_ptr = s.layout.row_ptr;
  p.col_idx = s.layout.col_idx;
  return p;
}

// Query tiles of kBr rows: per head, or per layout block (tiles restart at each layout block so a
// tile never straddles two CSR rows).
inline void set_query_tiles(FlashParams& p, long long br) {
  if (p.layout_block > 0) {
    const long long q_blocks = (p.seq_len + p.layout_block - 1) / p.layout_block;
    p.tiles_per_block = (p.layout_block + br - 1) / br;
    p.q_tiles = q_blocks * p.tiles_per_block;
  } else {
    p.tiles_per_block = 0;
    p.q_tiles = (p.seq_len + br - 1) / br;
  }
}

// Keys [lo, hi) that query row i may reach (the device copy of AttentionMask::key_range followed by
// the CPU kernel's clamp to the key length; keys and queries are compared by global index).
__device__ __forceinline__ void row_reach(const FlashParams& p, long long i, long long* lo, long long* hi) {
  const long long nk = p.seq_len_k;
  long long l = 0, h = p.seq_len > nk ? p.seq_len : nk;
  if (p.causal) h = h < i + 1 ? h : i + 1;
  if (p.window >= 0) {
    l = l > i - p.window ? l : i - p.window;
    h = h < i + p.window + 1 ? h : i + p.window + 1;
  }
  if (p.mask_block > 0) {
    const long long start = i / p.mask_block * p.mask_block;
    l = l > start - p.block_halo ? l : start - p.block_halo;
    h = h < start + p.mask_block + p.block_halo ? h : start + p.mask_block + p.block_halo;
  }
  h = h > l ? h : l;
  h = h < nk ? h : nk;
  *lo = l < h ? l : h;
  *hi = h;
}

// The work of thread block `item`: head b, query rows [r0, r1) (empty when r0 >= r1: a short last
// layout block), and the CSR row of active key blocks (null without a layout). Heaviest tiles
// first: under a causal mask the last query tiles reach the most keys, and the hardware hands out
// blocks roughly in index order.
struct QueryTile {
  long long b, r0, r1;
  const int64_t* blocks;
  long long nblocks;
};

__device__ __forceinline__ QueryTile query_tile(const FlashParams& p, long long item, long long br) {
  QueryTile q{};
  q.b = item % p.batch;
  const long long t = p.q_tiles - 1 - item / p.batch;
  if (p.layout_block > 0) {
    const long long qb = t / p.tiles_per_block;
    q.r0 = qb * p.layout_block + (t % p.tiles_per_block) * br;
    const long long end = (qb + 1) * p.layout_block;
    q.r1 = q.r0 + br < end ? q.r0 + br : end;
    const long long row = (q.b % p.layout_heads) * ((p.seq_len + p.layout_block - 1) / p.layout_block) + qb;
    q.blocks = p.col_idx + p.row_ptr[row];
    q.nblocks = p.row_ptr[row + 1] - p.row_ptr[row];
  } else {
    q.r0 = t * br;
    q.r1 = q.r0 + br;
    q.blocks = nullptr;
    q.nblocks = 0;
  }
  q.r1 = q.r1 < p.seq_len ? q.r1 : p.seq_len;
  return q;
}

// Calls visit(c0, cols) for every key tile of at most `bc` columns that rows [r0, r1) can reach:
// [lo, hi) from the mask, cut to the runs of adjacent active layout blocks when there is a layout.
template <class Visit>
__device__ __forceinline__ void for_each_key_tile(const FlashParams& p, const QueryTile& q, long long lo, long long hi,
                                                  int bc, Visit visit) {
  auto range = [&](long long a, long long e) {
    for (long long c0 = a; c0 < e; c0 += bc) visit(c0, static_cast<int>(e - c0 < bc ? e - c0 : bc));
  };
  if (q.blocks == nullptr) {
    range(lo, hi);
    return;
  }
  const long long lb = p.layout_block;
  for (long long i = 0; i < q.nblocks;) {
    const long long j0 = q.blocks[i];
    long long j1 = j0;  // extend the run over adjacent active blocks
    while (++i < q.nblocks && q.blocks[i] == j1 + 1) ++j1;
    range(lo > j0 * lb ? lo : j0 * lb, hi < (j1 + 1) * lb ? hi : (j1 + 1) * lb);
  }
}

}  // namespace attn::ops::cuda
