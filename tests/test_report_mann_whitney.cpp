// The Mann-Whitney U test against exact values counted by hand and SciPy 1.10's documented and
// computed results (scipy.stats.mannwhitneyu, two-sided; "asymptotic" uses the same continuity and
// tie corrections as here).
#include <gtest/gtest.h>

#include <vector>

#include "report/compare_mann_whitney.hpp"

namespace attn {
namespace {

TEST(MannWhitney, ExactSmallSamplesFromScipyDocs) {
  // SciPy's documentation example (males vs females): U = 17, exact p = 14/126 = 0.1111.
  const std::vector<double> males = {19, 22, 16, 29, 24}, females = {20, 11, 17, 12};
  const auto r = mann_whitney_u(males, females);
  EXPECT_TRUE(r.exact);
  EXPECT_FALSE(r.ties);
  EXPECT_DOUBLE_EQ(r.u, 17);
  EXPECT_NEAR(r.p_value, 0.1111111111111111, 1e-15);
}

TEST(MannWhitney, CompleteSeparationIsTheSmallestExactP) {
  // All 10 x below all 10 y: P(U = 0) = 1 / C(20, 10) = 1/184756, two-sided twice that.
  std::vector<double> x, y;
  for (int i = 1; i <= 10; ++i) x.push_back(i), y.push_back(10 + i);
  const auto r = mann_whitney_u(x, y);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 0);
  EXPECT_NEAR(r.p_value, 2.0 / 184756, 1e-18);
  EXPECT_NEAR(r.p_value, 1.082508822446903e-05, 1e-15);  // SciPy
  // Symmetric: swapping the samples gives U' = nm - U and the same p.
  const auto s = mann_whitney_u(y, x);
  EXPECT_DOUBLE_EQ(s.u, 100);
  EXPECT_DOUBLE_EQ(s.p_value, r.p_value);
}

TEST(MannWhitney, TinySamplesCannotBeSignificant) {
  // Three against three, fully separated: p = 2/20 = 0.1 at best. Two against two: 2/6.
  EXPECT_NEAR(mann_whitney_u(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6}).p_value, 0.1, 1e-15);
  EXPECT_NEAR(mann_whitney_u(std::vector<double>{1, 2}, std::vector<double>{3, 4}).p_value, 1.0 / 3, 1e-15);
  EXPECT_DOUBLE_EQ(mann_whitney_u(std::vector<double>{1}, std::vector<double>{2}).p_value, 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u(std::vector<double>{}, std::vector<double>{2, 3}).p_value, 1.0);
}

TEST(MannWhitney, NormalApproximationMatchesScipyAsymptotic) {
  // Data with ties (tie-corrected variance) against SciPy's asymptotic p:
  const std::vector<double> x = {1, 2, 2, 3, 3, 3, 4}, y = {3, 4, 4, 5, 5, 6};
  const auto r = mann_whitney_u(x, y);
  EXPECT_FALSE(r.exact);
  EXPECT_TRUE(r.ties);
  EXPECT_DOUBLE_EQ(r.u, 3.5);
  EXPECT_NEAR(r.p_value, 0.012999854364387305, 1e-12);
}

TEST(MannWhitney, LargeSamplesUseTheApproximation) {
  // 30 + 100 values exceed the exact limit: the normal approximation, whose p for a clear shift
  // is tiny, and for identical distributions (interleaved) large.
  std::vector<double> a, b, c;
  for (int i = 0; i < 30; ++i) a.push_back(i);
  for (int i = 0; i < 100; ++i) b.push_back(1000 + i), c.push_back(i * 0.3 + 0.05);
  const auto shifted = mann_whitney_u(a, b);
  EXPECT_FALSE(shifted.exact);
  EXPECT_LT(shifted.p_value, 1e-15);
  EXPECT_GT(mann_whitney_u(a, c).p_value, 0.3);
}

TEST(MannWhitney, ExactAgreesWithScipyOnModerateSamples) {
  // 30 vs 40 normal draws rounded to 3 decimals (no ties), numpy default_rng(1); SciPy exact p.
  const std::vector<double> a = {10.346, 10.822, 10.33, 8.697, 10.905, 10.446, 9.463, 10.581, 10.365, 10.294,
                                 10.028, 10.547, 9.264, 9.837, 9.518, 10.599, 10.04, 9.708, 9.218, 9.743,
                                 10.008, 9.724, 11.294, 11.007, 7.289, 8.111, 9.825, 9.578, 10.214, 10.217};
  const std::vector<double> b = {12.718, 9.488, 10.222, 12.643, 11.247, 11.263, 10.086, 8.952, 10.767, 10.709,
                                 9.373, 9.917, 10.528, 9.655, 10.502, 10.695, 10.636, 10.094, 11.194, 11.491,
                                 10.921, 9.782, 11.332, 10.099, 11.479, 9.528, 11.514, 10.58, 9.351, 10.286,
                                 10.654, 10.873, 9.618, 9.493, 10.8, 10.133, 10.836, 11.36, 8.951, 10.854};
  const auto r = mann_whitney_u(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 393);
  EXPECT_NEAR(r.p_value, 0.013590944839490785, 1e-12);
}

TEST(MannWhitney, AllTiedIsNoEvidence) {
  const auto r = mann_whitney_u(std::vector<double>{2, 2, 2}, std::vector<double>{2, 2, 2, 2});
  EXPECT_TRUE(r.ties);
  EXPECT_DOUBLE_EQ(r.p_value, 1.0);
}

}  // namespace
}  // namespace attn
