// Index sampling and noise ops (ops/sampling.hpp): distinctness, order, range and reproducibility,
// and the draw frequencies against their target probabilities (chi-square-style bounds over many
// independent stream offsets).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "ops/sampling.hpp"
#include "ops_testing.hpp"

namespace attn {
namespace {

using testing::CpuCase;

// Pearson statistic of observed counts against expected probabilities.
double chi_square(const std::vector<double>& counts, const std::vector<double>& probs, double total) {
  double x2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double e = probs[i] * total;
    if (e > 0) x2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  return x2;
}

TEST(SampleWithoutReplacement, DistinctAscendingInRangeAndReproducible) {
  CpuCase cpu;
  const ops::SampleShape s{.batch = 3, .n = 50, .count = 20};
  const auto w = testing::uniform_vector<float>(s.batch * s.n, 1, "w", 0.0, 2.0);
  std::vector<int64_t> idx(s.batch * s.count), again(idx.size()), other(idx.size());
  const Rng rng(5, "sampling", "wor");
  ops::sample_without_replacement<float>(cpu.ctx, s, w.data(), nullptr, 0.0, rng, 0, idx.data());
  ops::sample_without_replacement<float>(cpu.ctx, s, w.data(), nullptr, 0.0, rng, 0, again.data());
  ops::sample_without_replacement<float>(cpu.ctx, s, w.data(), nullptr, 0.0, rng, 1000, other.data());
  EXPECT_EQ(idx, again);
  EXPECT_NE(idx, other);
  for (int64_t b = 0; b < s.batch; ++b) {
    const auto first = idx.begin() + b * s.count, last = first + s.count;
    EXPECT_TRUE(std::is_sorted(first, last));
    EXPECT_EQ(std::set<int64_t>(first, last).size(), static_cast<size_t>(s.count));
    for (auto it = first; it != last; ++it) EXPECT_TRUE(*it >= 0 && *it < s.n);
  }
  // count = n takes everything.
  std::vector<int64_t> all(50);
  ops::sample_without_replacement<float>(cpu.ctx, {.batch = 1, .n = 50, .count = 50}, w.data(), nullptr, 0.0, rng, 0,
                                         all.data());
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(all[i], i);
}

TEST(SampleWithoutReplacement, FirstDrawFollowsSqrtOfTheWeightProduct) {
  // With count = 1 the Gumbel-top-k draw is one categorical draw with p_i ~ sqrt(a_i b_i) + floor.
  CpuCase cpu;
  constexpr int64_t kN = 8, kTrials = 20000;
  const std::vector<double> a = {1, 4, 0, 9, 1, 16, 2, 0.25}, b = {1, 1, 5, 1, 4, 1, 8, 1};
  std::vector<double> probs(kN), counts(kN, 0.0);
  double total = 0;
  for (int64_t i = 0; i < kN; ++i) total += probs[i] = std::sqrt(a[i] * b[i]);
  for (double& p : probs) p /= total;
  // One batch per trial: the batches of one call are independent draws.
  std::vector<double> wa, wb;
  for (int64_t t = 0; t < kTrials; ++t) {
    wa.insert(wa.end(), a.begin(), a.end());
    wb.insert(wb.end(), b.begin(), b.end());
  }
  std::vector<int64_t> idx(kTrials);
  ops::sample_without_replacement<double>(cpu.ctx, {.batch = kTrials, .n = kN, .count = 1}, wa.data(), wb.data(), 0.0,
                                          Rng(6, "sampling", "freq"), 0, idx.data());
  for (int64_t i : idx) counts[i] += 1;
  EXPECT_EQ(counts[2], 0.0) << "a zero weight is never drawn without a floor";
  // 6 degrees of freedom (index 2 has p = 0): the 99.99% quantile is about 27.9.
  EXPECT_LT(chi_square(counts, probs, kTrials), 27.9);
}

TEST(SampleWithoutReplacement, UniformWithoutWeightsAndFloorMakesZerosDrawable) {
  CpuCase cpu;
  constexpr int64_t kN = 10, kCount = 3, kTrials = 10000;
  std::vector<int64_t> idx(kTrials * kCount);
  ops::sample_without_replacement<float>(cpu.ctx, {.batch = kTrials, .n = kN, .count = kCount}, nullptr, nullptr, 0.0,
                                         Rng(7, "sampling", "uniform"), 0, idx.data());
  std::vector<double> counts(kN, 0.0);
  for (int64_t i : idx) counts[i] += 1;
  // Inclusion probability count / n for every index.
  for (double c : counts) EXPECT_NEAR(c / kTrials, 0.3, 0.02);
  // All-zero weights with a floor: still a uniform draw of distinct indices.
  const std::vector<float> zeros(kN, 0.0f);
  std::vector<int64_t> some(kCount);
  ops::sample_without_replacement<float>(cpu.ctx, {.batch = 1, .n = kN, .count = kCount}, zeros.data(), nullptr, 1e-12,
                                         Rng(7, "sampling", "floor"), 0, some.data());
  EXPECT_EQ(std::set<int64_t>(some.begin(), some.end()).size(), static_cast<size_t>(kCount));
}

TEST(SampleWithReplacement, UniformInRangeWithRepeats) {
  CpuCase cpu;
  constexpr int64_t kN = 7, kCount = 70000;
  std::vector<int64_t> idx(kCount);
  ops::sample_with_replacement(cpu.ctx, {.batch = 1, .n = kN, .count = kCount}, Rng(8, "sampling", "wr"), 0, idx.data());
  std::vector<double> counts(kN, 0.0);
  for (int64_t i : idx) {
    ASSERT_TRUE(i >= 0 && i < kN);
    counts[i] += 1;
  }
  EXPECT_LT(chi_square(counts, std::vector<double>(kN, 1.0 / kN), kCount), 27.9);  // 6 dof, 99.99%
  // Element i of batch b is stream element offset + b * count + i.
  std::vector<int64_t> two(4), tail(2);
  ops::sample_with_replacement(cpu.ctx, {.batch = 2, .n = 1000, .count = 2}, Rng(8, "sampling", "wr2"), 0, two.data());
  ops::sample_with_replacement(cpu.ctx, {.batch = 1, .n = 1000, .count = 2}, Rng(8, "sampling", "wr2"), 2, tail.data());
  EXPECT_EQ(two[2], tail[0]);
  EXPECT_EQ(two[3], tail[1]);
}

TEST(SampleCategoricalRows, FrequenciesMatchEachRowAndZerosAreNeverDrawn) {
  CpuCase cpu;
  constexpr int64_t kN = 5, kTrials = 20000;
  const std::vector<float> row0 = {0.1f, 0.0f, 0.4f, 0.2f, 0.3f}, row1 = {0.0f, 0.0f, 0.0f, 0.0f, 1.0f};
  std::vector<float> probs;
  for (int64_t t = 0; t < kTrials; ++t) {
    probs.insert(probs.end(), row0.begin(), row0.end());
    probs.insert(probs.end(), row1.begin(), row1.end());
  }
  // batch = trials, two rows each.
  std::vector<int64_t> idx(2 * kTrials);
  ops::sample_categorical_rows<float>(cpu.ctx, {.batch = kTrials, .n = kN, .count = 2}, probs.data(),
                                      Rng(9, "sampling", "cat"), 0, idx.data());
  std::vector<double> counts(kN, 0.0);
  for (int64_t t = 0; t < kTrials; ++t) {
    counts[idx[2 * t]] += 1;
    EXPECT_EQ(idx[2 * t + 1], 4);
  }
  EXPECT_EQ(counts[1], 0.0);
  EXPECT_LT(chi_square(counts, {0.1, 0.0, 0.4, 0.2, 0.3}, kTrials), 21.1);  // 3 dof, 99.99%
}

TEST(AddGaussianNoise, AddsTheStreamsNormalsScaled) {
  CpuCase cpu;
  constexpr int64_t kN = 100000;
  const Rng rng(10, "sampling", "noise");
  std::vector<double> x(kN, 1.0), z(kN);
  ops::add_gaussian_noise<double>(cpu.ctx, kN, 0.5, rng, 17, x.data());
  rng.fill_normal(z.data(), kN, 17);
  double mean = 0, var = 0;
  for (int64_t i = 0; i < kN; ++i) {
    ASSERT_DOUBLE_EQ(x[i], 1.0 + 0.5 * z[i]);
    mean += x[i] / kN;
  }
  for (int64_t i = 0; i < kN; ++i) var += (x[i] - mean) * (x[i] - mean) / kN;
  EXPECT_NEAR(mean, 1.0, 0.01);
  EXPECT_NEAR(var, 0.25, 0.01);
  std::vector<float> f(10, 2.0f);  // sd = 0 leaves the data alone
  ops::add_gaussian_noise<float>(cpu.ctx, 10, 0.0, rng, 0, f.data());
  for (float v : f) EXPECT_EQ(v, 2.0f);
}

}  // namespace
}  // namespace attn
