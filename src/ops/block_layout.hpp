// Block layouts for block-sparse attention (sparse.md cards 1c, 2, 3, 4): which (query block, key
// block) pairs are computed exactly. Square blocks of `block` tokens; block I holds tokens
// [I*block, min((I+1)*block, N)), so the last block may be partial. Data-independent layouts are
// built on the host (timed as set-up) as CSR lists, one per head, and uploaded once for
// ops::flash_attention. Data-dependent ones (MRA's top-k blocks) are built on the device by
// layout_from_indices.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/rng.hpp"
#include "ops/attention_mask.hpp"
#include "ops/flash_attention.hpp"

namespace attn::ops {

struct BlockLayout {
  int64_t seq_len = 0;
  int64_t block = 0;
  int64_t blocks = 0;            // ceil(seq_len / block)
  int64_t heads = 1;             // distinct layouts (head h of a batch uses layout h % heads)
  std::vector<int64_t> row_ptr;  // [heads * blocks + 1]
  std::vector<int64_t> col_idx;  // ascending, unique within each row

  int64_t active_blocks() const { return static_cast<int64_t>(col_idx.size()); }
  bool has(int64_t head, int64_t i, int64_t j) const;
  // Exactly computed score entries / N^2, averaged over heads, using true block extents and
  // counting only the pairs `mask` allows inside each active block (card 1c's rho_real).
  double density(const AttentionMask& mask = {}) const;
  // Bytes the uploaded CSR occupies.
  std::size_t bytes() const { return (row_ptr.size() + col_idx.size()) * sizeof(int64_t); }
};

// Rows given as sets of key blocks (per head, per query block); sorts and deduplicates.
BlockLayout layout_from_rows(int64_t seq_len, int64_t block, const std::vector<std::vector<std::vector<int64_t>>>& rows);
// Every block (the exactness limit).
BlockLayout full_layout(int64_t seq_len, int64_t block);
// Band |I - J| <= radius blocks.
BlockLayout local_layout(int64_t seq_len, int64_t block, int64_t radius);
// (I - J) mod stride == 0 (with stride 1: every block).
BlockLayout strided_layout(int64_t seq_len, int64_t block, int64_t stride);
// Per head and query block: the diagonal plus per_row - 1 distinct uniform other key blocks.
BlockLayout random_layout(int64_t seq_len, int64_t block, int64_t heads, int64_t per_row, const Rng& rng);
// Flat block butterfly (card 4a) on a butterfly of `size` entries (power of two; each entry covers
// ceil(blocks / size) blocks): (I/r) XOR (J/r) in {0} U {2^t : t < factors}; plus the first
// `global_tokens` token rows and columns.
BlockLayout butterfly_layout(int64_t seq_len, int64_t block, int64_t size, int64_t factors, int64_t global_tokens);

enum class BigBirdSampler { uniform_legal, official_plan };
// BigBird ITC (card 3): blocks 0 and nb-1 global both ways, a 3-block window, `rand_blocks` random
// key blocks per middle row drawn per head. Needs blocks >= 5 (callers fall back to full_layout).
BlockLayout bigbird_layout(int64_t seq_len, int64_t block, int64_t heads, int64_t rand_blocks, BigBirdSampler sampler,
                           const Rng& rng);

// Uploads the CSR into ctx.ws() under `key` (".row_ptr", ".col_idx") and returns the kernel's view.
FlashLayout upload_layout(const Context& ctx, const BlockLayout& layout, std::string_view key);

// On the device: CSR of `count` selected blocks per head given as flat ids a * blocks + b (any
// order, unique): row_ptr [heads * blocks + 1], col_idx [heads * count] sorted within rows.
void layout_from_indices(const Context& ctx, int64_t heads, int64_t blocks, int64_t count, const int64_t* idx,
                         int64_t* row_ptr, int64_t* col_idx);

}  // namespace attn::ops
