// Validated entry of the tiled exact attention; the tile defaults follow sparse.md card 1 (working
// set about half of a 512 KiB-1 MiB L2 in fp32).
#include "ops/flash_attention.hpp"

#include <algorithm>

#include "ops/cpu/flash_attention.hpp"
#include "ops/cuda/flash_attention.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

FlashTiles default_flash_tiles(int64_t head_dim) {
  FlashTiles t;
  t.block_q = 64;
  t.block_k = head_dim <= 64 ? 256 : 128;
  return t;
}

std::size_t flash_attention_scratch_bytes(const FlashShape& s, std::size_t elem_bytes, int threads) {
  return cpu::flash_scratch_elems_per_thread(s, elem_bytes) * elem_bytes * static_cast<std::size_t>(std::max(1, threads));
}

template <class T>
void flash_attention(const Context& ctx, const FlashShape& s, T scale, const T* q, const T* k, const T* v, T* out,
                     T* lse) {
  ATTN_CHECK(s.batch > 0 && s.seq_len > 0 && s.head_dim > 0, "flash_attention: sizes must be positive");
  ATTN_CHECK(s.tiles.block_q > 0 && s.tiles.block_k > 0, "flash_attention: tile sizes must be positive");
  ATTN_CHECK(s.mask.window >= -1 && s.mask.block >= 0 && s.mask.block_halo >= 0,
             "flash_attention: window must be >= -1, block and block_halo >= 0");
  ATTN_CHECK(s.seq_len_k >= 0, "flash_attention: seq_len_k must be >= 0");
  if (s.layout.active()) {
    ATTN_CHECK(s.layout.heads >= 1 && s.batch % s.layout.heads == 0,
               "flash_attention: the layout's head count must divide the batch");
    ATTN_CHECK(s.layout.row_ptr != nullptr && s.layout.col_idx != nullptr, "flash_attention: layout without CSR");
  }
  ATTN_CHECK(q != nullptr && k != nullptr && v != nullptr && out != nullptr, "flash_attention: null operand");
  ATTN_CHECK(ctx.workspace != nullptr, "flash_attention: the context needs a workspace for its tiles");
  ATTN_DISPATCH(ctx, "flash_attention", cpu::flash_attention(ctx, s, scale, q, k, v, out, lse),
                cuda::flash_attention(ctx, s, scale, q, k, v, out, lse));
}

template void flash_attention<float>(const Context&, const FlashShape&, float, const float*, const float*,
                                     const float*, float*, float*);
template void flash_attention<double>(const Context&, const FlashShape&, double, const double*, const double*,
                                      const double*, double*, double*);

}  // namespace attn::ops
