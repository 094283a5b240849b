// Row softmax: rows sum to 1, the scale is applied before the max, causal columns are exactly 0, a
// row with no allowed column is 0, padding between rows is untouched.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/softmax.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::CpuCase;

template <class T>
std::vector<double> reference(const SoftmaxShape& s, double scale, const std::vector<T>& x) {
  std::vector<double> out(x.begin(), x.end());
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t r = 0; r < s.rows; ++r) {
      double* row = out.data() + b * s.stride + r * s.ld;
      int64_t limit = s.cols;
      if (s.causal) limit = std::clamp<int64_t>(r + s.causal_offset + 1, 0, s.cols);
      double m = -INFINITY;
      for (int64_t c = 0; c < limit; ++c) m = std::max(m, scale * row[c]);
      double sum = 0.0;
      for (int64_t c = 0; c < limit; ++c) sum += std::exp(scale * row[c] - m);
      for (int64_t c = 0; c < s.cols; ++c) row[c] = c < limit ? std::exp(scale * row[c] - m) / sum : 0.0;
    }
  }
  return out;
}

template <class T>
void run(SoftmaxShape s, double scale, double tol) {
  CpuCase cc(2);
  auto x = testing::normal_vector<T>(s.batch * s.stride, 7, "x", 3.0);
  const auto expect = reference(s, scale, x);
  softmax_rows<T>(cc.ctx, s, T(scale), x.data());
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t r = 0; r < s.rows; ++r) {
      double sum = 0.0;
      int64_t allowed = s.causal ? std::clamp<int64_t>(r + s.causal_offset + 1, 0, s.cols) : s.cols;
      for (int64_t c = 0; c < s.cols; ++c) {
        const double v = x[b * s.stride + r * s.ld + c];
        sum += v;
        if (c >= allowed) EXPECT_EQ(v, 0.0) << "masked column not zero: row " << r << " col " << c;
      }
      EXPECT_NEAR(sum, allowed > 0 ? 1.0 : 0.0, 10 * tol) << "row " << r;
    }
  }
  EXPECT_LT(testing::max_abs_diff(x, expect), tol);  // includes the padding, left as it was
}

TEST(OpsSoftmax, RowsSumToOneWithScale) {
  SoftmaxShape s{.rows = 37, .cols = 101, .ld = 101, .stride = 37 * 101, .batch = 1};
  run<float>(s, 0.3, 1e-6);
  run<double>(s, 0.3, 1e-14);
  run<double>(s, -1.7, 1e-14);  // the max is taken on scale * x, so negative scales are safe
  run<float>(s, 25.0, 1e-6);    // peaked rows: no overflow thanks to the max shift
}

TEST(OpsSoftmax, CausalWithOffsetPaddingAndBatch) {
  SoftmaxShape s{.rows = 19, .cols = 23, .ld = 29, .stride = 19 * 29 + 3, .batch = 3, .causal = true};
  for (int64_t offset : {0, 4, -5, 40}) {
    s.causal_offset = offset;  // -5: the first five rows have no allowed column and must be 0
    run<float>(s, 0.5, 1e-6);
    run<double>(s, 0.5, 1e-14);
  }
}

}  // namespace
}  // namespace attn::ops
