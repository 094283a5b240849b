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

std::size_t flash_attention_scratch_bytes(const FlashShape& s, std::size_t elem_bytes, int threads, Device device) {
  if (device == Device::cuda) return 0;
  return cpu::flash_scratch_elems_per_thread(s, elem_bytes) * elem_bytes * static_cast<std::size_t>(std::max(1, threads));
}

namespace {

void check_args(const Context& ctx, const FlashShape& s, const void* q, const void* k, const void* v, const void* out) {
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
}

[[noreturn]] void no_cpu_half() {
  throw UnsupportedError("op 'flash_attention' runs fp16/bf16 on cuda only (the cpu backend runs fp32/fp64)");
}

}  // namespace

template <class T>
void flash_attention(const Context& ctx, const FlashShape& s, T scale, const T* q, const T* k, const T* v, T* out,
                     T* lse) {
  check_args(ctx, s, q, k, v, out);
  ATTN_DISPATCH(ctx, "flash_attention", cpu::flash_attention(ctx, s, scale, q, k, v, out, lse),
                cuda::flash_attention(ctx, s, scale, q, k, v, out, lse));
}

void flash_attention(const Context& ctx, const FlashShape& s, float scale, const Half* q, const Half* k, const Half* v,
                     Half* out, float* lse) {
  check_args(ctx, s, q, k, v, out);
  ATTN_DISPATCH(ctx, "flash_attention", no_cpu_half(), cuda::flash_attention(ctx, s, scale, q, k, v, out, lse));
}

void flash_attention(const Context& ctx, const FlashShape& s, float scale, const BFloat16* q, const BFloat16* k,
                     const BFloat16* v, BFloat16* out, float* lse) {
  check_args(ctx, s, q, k, v, out);
  ATTN_DISPATCH(ctx, "flash_attention", no_cpu_half(), cuda::flash_attention(ctx, s, scale, q, k, v, out, lse));
}

template void flash_attention<float>(const Context&, const FlashShape&, float, const float*, const float*,
                                     const float*, float*, float*);
template void flash_attention<double>(const Context&, const FlashShape&, double, const double*, const double*,
                                      const double*, double*, double*);

}  // namespace attn::ops
