// Tiled exact softmax attention with online softmax (FlashAttention-2 loop order): for each head,
// O = softmax(scale * Q K^T restricted to `mask` and to the optional block `layout`) V, without an
// N x N buffer. Extra memory is one tile set per thread plus O(N) for the optional log-sum-exp. Any
// N (edge tiles are masked). Also the fp64 reference of every case (T = double).
// Block-sparse mode (sparse.md card 1c): the layout lists, per query block, the active key blocks
// (CSR, built on the host by ops/block_layout.hpp); only those key tiles are ever loaded, so the
// work scales with the realized density. Runs of adjacent active blocks are fused into one GEMM.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "core/half.hpp"
#include "ops/attention_mask.hpp"

namespace attn::ops {

struct FlashTiles {
  int64_t block_q = 64;   // query rows per tile (Br)
  int64_t block_k = 256;  // keys per tile (Bc)
};
// The card's L2-sized defaults: Br=64, Bc=256 for d <= 64, Bc=128 above.
FlashTiles default_flash_tiles(int64_t head_dim);

// Active key blocks per query block, in CSR form, on the context's device. Tokens [I*block,
// min((I+1)*block, N)) form block I (the last one may be partial). Absent when block == 0.
struct FlashLayout {
  int64_t block = 0;                 // tokens per block, queries and keys alike (0: no layout)
  int64_t heads = 1;                 // distinct layouts; head b of the batch uses layout b % heads
  const int64_t* row_ptr = nullptr;  // [heads * query_blocks + 1] offsets into col_idx
  const int64_t* col_idx = nullptr;  // active key-block ids, ascending within each row
  bool active() const { return block > 0; }
};

struct FlashShape {
  int64_t batch = 1;     // independent heads (B*H), each [seq_len, head_dim] contiguous
  int64_t seq_len = 0;   // query rows
  int64_t head_dim = 0;
  AttentionMask mask;
  FlashTiles tiles;
  int64_t seq_len_k = 0;  // key rows (0: seq_len); the mask compares global indices i and j
  FlashLayout layout;

  int64_t keys() const { return seq_len_k > 0 ? seq_len_k : seq_len; }
};

// q, k, v, out: batch * seq_len * head_dim elements. lse (optional): batch * seq_len, row log-sum-exp
// of the scaled scores (+inf for a row with no allowed key, whose output is 0).
template <class T>
void flash_attention(const Context& ctx, const FlashShape& s, T scale, const T* q, const T* k, const T* v, T* out,
                     T* lse = nullptr);

// fp16 / bf16 storage with fp32 arithmetic (FlashAttention-2 on tensor cores): q, k, v, out in the
// 16-bit type, scale and lse (optional, batch * seq_len) in fp32. GPU only (head_dim <= 128): on
// the CPU, whose backend runs fp32/fp64, it throws UnsupportedError naming the op.
void flash_attention(const Context& ctx, const FlashShape& s, float scale, const Half* q, const Half* k, const Half* v,
                     Half* out, float* lse = nullptr);
void flash_attention(const Context& ctx, const FlashShape& s, float scale, const BFloat16* q, const BFloat16* k,
                     const BFloat16* v, BFloat16* out, float* lse = nullptr);

// Scratch the kernel takes from ctx.workspace for this shape and thread count: per-thread tiles on
// the CPU; none on the GPU (the fused kernels keep their tiles in shared memory and registers).
std::size_t flash_attention_scratch_bytes(const FlashShape& s, std::size_t elem_bytes, int threads,
                                          Device device = Device::cpu);

}  // namespace attn::ops
