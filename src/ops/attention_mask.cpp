// Key ranges and allowed-pair counts of an AttentionMask. Every row's allowed keys form one
// contiguous interval [lo(i), hi(i)) that contains i itself, and lo, hi never decrease with i, so a
// range of rows reaches exactly [lo(r0), hi(r1 - 1)).
#include "ops/attention_mask.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace attn::ops {

namespace {

// Allowed pairs of an n x n problem under causal and/or window only (no blocks): every diagonal
// offset k = i - j within reach contributes n - |k| pairs.
int64_t count_without_blocks(bool causal, int64_t window, int64_t n) {
  if (n <= 0) return 0;
  if (window < 0) return causal ? n * (n + 1) / 2 : n * n;
  const int64_t k = std::min(window, n - 1);  // furthest diagonal that exists
  const int64_t one_side = k * n - k * (k + 1) / 2;  // sum over offsets 1..k of (n - offset)
  return causal ? n + one_side : n + 2 * one_side;
}

}  // namespace

void AttentionMask::key_range(int64_t r0, int64_t r1, int64_t n, int64_t* lo, int64_t* hi) const {
  ATTN_CHECK(lo != nullptr && hi != nullptr, "key_range needs output pointers");
  ATTN_CHECK(n >= 0 && r0 >= 0 && r1 <= n, "key_range: rows must lie in [0, n)");
  if (r0 >= r1) {
    *lo = *hi = 0;
    return;
  }
  const int64_t first = r0, last = r1 - 1;
  int64_t l = 0, h = n;
  if (causal) h = std::min(h, last + 1);
  if (window >= 0) {
    l = std::max(l, first - window);
    h = std::min(h, last + window + 1);
  }
  if (block > 0) {
    l = std::max(l, first / block * block - block_halo);
    h = std::min(h, (last / block + 1) * block + block_halo);
  }
  *lo = l;
  *hi = std::max(l, h);
}

int64_t AttentionMask::count_allowed(int64_t n) const {
  ATTN_CHECK(n >= 0, "count_allowed: n must be >= 0");
  if (block <= 0) return count_without_blocks(causal, window, n);
  if (block_halo > 0) {  // overlapping windows: every row's keys are one interval, count them
    int64_t total = 0;
    for (int64_t i = 0; i < n; ++i) {
      int64_t lo = 0, hi = 0;
      key_range(i, i + 1, n, &lo, &hi);
      total += hi - lo;
    }
    return total;
  }
  // Blocks are independent copies of the unblocked problem: n / block full ones and one remainder.
  return (n / block) * count_without_blocks(causal, window, block) + count_without_blocks(causal, window, n % block);
}

}  // namespace attn::ops
