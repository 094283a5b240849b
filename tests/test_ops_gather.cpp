// Row gathers and scatters (ops/gather.hpp): per-batch and shared index lists, alpha/beta blending,
// duplicate scatter targets, and the range check.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ops/gather.hpp"
#include "ops_testing.hpp"

namespace attn {
namespace {

using testing::CpuCase;

TEST(GatherRows, PerBatchAndSharedIndicesWithAlphaBeta) {
  CpuCase cpu;
  constexpr int64_t kB = 2, kRows = 5, kDim = 3, kCount = 4;
  const auto x = testing::normal_vector<float>(kB * kRows * kDim, 1, "x");
  const std::vector<int64_t> idx = {4, 0, 0, 2, 1, 3, 4, 1};  // batch 0 then batch 1 (a repeat is fine)
  std::vector<float> out(kB * kCount * kDim, 1.0f);
  ops::gather_rows<float>(cpu.ctx, {.batch = kB, .src_rows = kRows, .count = kCount, .dim = kDim}, idx.data(), x.data(),
                          2.0f, 0.5f, out.data());
  for (int64_t b = 0; b < kB; ++b)
    for (int64_t i = 0; i < kCount; ++i)
      for (int64_t c = 0; c < kDim; ++c)
        EXPECT_FLOAT_EQ(out[(b * kCount + i) * kDim + c], 2.0f * x[(b * kRows + idx[b * kCount + i]) * kDim + c] + 0.5f);
  // beta = 0 ignores the old contents, even NaN.
  std::vector<float> fresh(kB * kCount * kDim, std::nanf(""));
  ops::gather_rows<float>(cpu.ctx, {.batch = kB, .src_rows = kRows, .count = kCount, .dim = kDim, .shared_index = true},
                          idx.data(), x.data(), 1.0f, 0.0f, fresh.data());
  for (int64_t b = 0; b < kB; ++b)
    for (int64_t i = 0; i < kCount; ++i)
      for (int64_t c = 0; c < kDim; ++c)
        EXPECT_EQ(fresh[(b * kCount + i) * kDim + c], x[(b * kRows + idx[i]) * kDim + c]);
}

TEST(ScatterRows, WritesSelectedRowsOnlyAndRejectsBadIndices) {
  CpuCase cpu;
  constexpr int64_t kB = 2, kRows = 6, kDim = 2, kCount = 3;
  const auto x = testing::normal_vector<double>(kB * kCount * kDim, 2, "x");
  const std::vector<int64_t> idx = {5, 1, 3, 0, 0, 2};  // batch 1 writes row 0 twice: the last write wins
  std::vector<double> out(kB * kRows * kDim, -7.0);
  ops::scatter_rows<double>(cpu.ctx, {.batch = kB, .src_rows = kRows, .count = kCount, .dim = kDim}, idx.data(),
                            x.data(), out.data());
  for (int64_t c = 0; c < kDim; ++c) {
    EXPECT_EQ(out[(0 * kRows + 5) * kDim + c], x[(0 * kCount + 0) * kDim + c]);
    EXPECT_EQ(out[(0 * kRows + 3) * kDim + c], x[(0 * kCount + 2) * kDim + c]);
    EXPECT_EQ(out[(1 * kRows + 0) * kDim + c], x[(1 * kCount + 1) * kDim + c]);
    EXPECT_EQ(out[(1 * kRows + 2) * kDim + c], x[(1 * kCount + 2) * kDim + c]);
    EXPECT_EQ(out[(0 * kRows + 0) * kDim + c], -7.0);  // untouched
    EXPECT_EQ(out[(1 * kRows + 5) * kDim + c], -7.0);
  }
  const std::vector<int64_t> bad = {6};
  EXPECT_DEATH(ops::scatter_rows<double>(cpu.ctx, {.batch = 1, .src_rows = kRows, .count = 1, .dim = kDim}, bad.data(),
                                         x.data(), out.data()),
               "index out of range");
}

}  // namespace
}  // namespace attn
