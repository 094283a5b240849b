// Counting sort of the selected flat block ids by query block, then a sort of each row's key
// blocks: O(count + blocks) per head, heads in parallel.
#include "ops/cpu/block_layout.hpp"

#include <algorithm>
#include <vector>

namespace attn::ops::cpu {

void layout_from_indices(const Context& ctx, int64_t heads, int64_t blocks, int64_t count, const int64_t* idx,
                         int64_t* row_ptr, int64_t* col_idx) {
  row_ptr[0] = 0;
  for (int64_t h = 0; h < heads; ++h) {  // row counts, then offsets (heads are laid out one after another)
    int64_t* rp = row_ptr + h * blocks;
    std::fill(rp + 1, rp + blocks + 1, int64_t{0});
    for (int64_t e = 0; e < count; ++e) ++rp[1 + idx[h * count + e] / blocks];
    rp[0] = h * count;
    for (int64_t a = 0; a < blocks; ++a) rp[a + 1] += rp[a];
  }
  const int threads = std::max(1, ctx.threads);
#pragma omp parallel for num_threads(threads) schedule(static) if (heads > 1)
  for (int64_t h = 0; h < heads; ++h) {
    const int64_t* rp = row_ptr + h * blocks;
    std::vector<int64_t> fill(rp, rp + blocks);
    for (int64_t e = 0; e < count; ++e) {
      const int64_t flat = idx[h * count + e];
      col_idx[fill[flat / blocks]++] = flat % blocks;
    }
    for (int64_t a = 0; a < blocks; ++a) std::sort(col_idx + rp[a], col_idx + rp[a + 1]);
  }
}

}  // namespace attn::ops::cpu
