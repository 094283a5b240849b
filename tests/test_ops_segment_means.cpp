// Segment bounds follow the T2T-ViT rule (checked against a brute-force segmenter) and the means
// match naive loops, including N not divisible by the segment count.
#include <gtest/gtest.h>

#include "ops/segment_means.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

// Brute force: hand out N rows one segment at a time, short segments (floor(N/s)) first, as many as
// (l + 1) s - N of them, and record where each segment starts.
std::vector<int64_t> brute_starts(int64_t n, int64_t segments) {
  const int64_t l = n / segments, short_count = (l + 1) * segments - n;
  std::vector<int64_t> starts;
  int64_t row = 0;
  for (int64_t i = 0; i < segments; ++i) {
    starts.push_back(row);
    for (int64_t t = 0; t < (i < short_count ? l : l + 1); ++t) ++row;
  }
  starts.push_back(row);
  return starts;
}

TEST(OpsSegmentMeans, BoundsMatchBruteForce) {
  for (int64_t n = 1; n <= 70; ++n) {
    for (int64_t segs = 1; segs <= n; ++segs) {
      const auto starts = brute_starts(n, segs);
      ASSERT_EQ(starts.back(), n);
      for (int64_t i = 0; i < segs; ++i) {
        int64_t a = -1, b = -1;
        segment_bounds(n, segs, i, &a, &b);
        EXPECT_EQ(a, starts[i]) << "N=" << n << " segments=" << segs << " i=" << i;
        EXPECT_EQ(b, starts[i + 1]);
        EXPECT_TRUE(b - a == n / segs || b - a == n / segs + 1);
      }
    }
  }
}

template <class T>
void check_means(int64_t batch, int64_t n, int64_t dim, int64_t segs, double tol) {
  testing::CpuCase cc(2);
  auto x = testing::normal_vector<T>(batch * n * dim, 4, "x");
  std::vector<T> out(static_cast<std::size_t>(batch * segs * dim));
  segment_means<T>(cc.ctx, SegmentShape{batch, n, dim, segs}, T(0.5), x.data(), out.data());
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < segs; ++i) {
      int64_t a = 0, e = 0;
      segment_bounds(n, segs, i, &a, &e);
      for (int64_t c = 0; c < dim; ++c) {
        double sum = 0;
        for (int64_t r = a; r < e; ++r) sum += x[(b * n + r) * dim + c];
        EXPECT_NEAR(out[(b * segs + i) * dim + c], 0.5 * sum / double(e - a), tol);
      }
    }
  }
}

TEST(OpsSegmentMeans, MeansMatchNaive) {
  check_means<float>(3, 100, 16, 7, 1e-5);   // non-divisible: lengths 14 and 15
  check_means<double>(2, 64, 8, 16, 1e-13);  // divisible
  check_means<double>(1, 5, 3, 5, 1e-13);    // every row its own segment
}

}  // namespace
}  // namespace attn::ops
