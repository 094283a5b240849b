// Mask closed forms against brute force: count_allowed equals the number of allowed pairs, and
// key_range is the tightest interval holding every allowed key of the rows.
#include <gtest/gtest.h>

#include "ops/attention_mask.hpp"

namespace attn::ops {
namespace {

std::vector<AttentionMask> masks() {
  std::vector<AttentionMask> out;
  for (bool causal : {false, true}) {
    for (int64_t window : {-1, 0, 1, 3, 50}) {
      for (int64_t block : {0, 1, 4, 7}) out.push_back(AttentionMask{causal, window, block});
    }
  }
  return out;
}

TEST(OpsAttentionMask, CountAllowedMatchesBruteForce) {
  for (const AttentionMask& m : masks()) {
    for (int64_t n = 0; n <= 41; ++n) {
      int64_t brute = 0;
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < n; ++j) brute += m.allows(i, j);
      }
      EXPECT_EQ(m.count_allowed(n), brute) << "n=" << n << " causal=" << m.causal << " window=" << m.window
                                           << " block=" << m.block;
    }
  }
}

TEST(OpsAttentionMask, KeyRangeIsTight) {
  const int64_t n = 37;
  for (const AttentionMask& m : masks()) {
    for (int64_t r0 = 0; r0 < n; r0 += 3) {
      for (int64_t r1 : {r0 + 1, r0 + 5, n}) {
        if (r1 > n) continue;
        int64_t lo = 0, hi = 0;
        m.key_range(r0, r1, n, &lo, &hi);
        int64_t first = n, last = -1;
        for (int64_t i = r0; i < r1; ++i) {
          for (int64_t j = 0; j < n; ++j) {
            if (m.allows(i, j)) {
              first = std::min(first, j);
              last = std::max(last, j);
            }
          }
        }
        EXPECT_EQ(lo, first) << "rows [" << r0 << "," << r1 << ") causal=" << m.causal << " window=" << m.window
                             << " block=" << m.block;
        EXPECT_EQ(hi, last + 1);
      }
    }
  }
  int64_t lo = 1, hi = 1;
  AttentionMask{}.key_range(4, 4, 10, &lo, &hi);  // no rows: empty range
  EXPECT_EQ(lo, hi);
}

TEST(OpsAttentionMask, FullMask) {
  EXPECT_TRUE(AttentionMask{}.is_full());
  EXPECT_FALSE((AttentionMask{.causal = true}).is_full());
  EXPECT_EQ(AttentionMask{}.count_allowed(1000), 1000 * 1000);
}

}  // namespace
}  // namespace attn::ops
