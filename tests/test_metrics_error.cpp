// compare_outputs on cases small enough to compute by hand.
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "metrics/error_metrics.hpp"

namespace attn {
namespace {

TEST(ErrorMetrics, IdenticalOutputsAreExact) {
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};
  const std::vector<double> r = {1, 2, 3, 4, 5, 6};
  const auto m = compare_outputs(a.data(), r.data(), 2, 3);
  EXPECT_EQ(m.rel_fro, 0.0);
  EXPECT_EQ(m.max_abs, 0.0);
  EXPECT_NEAR(m.mean_cos, 1.0, 1e-15);
  EXPECT_NEAR(m.min_cos, 1.0, 1e-15);
  EXPECT_EQ(m.nonfinite, 0);
}

TEST(ErrorMetrics, HandComputedTwoByTwo) {
  // R = [[3, 4], [0, 1]], A = [[3, 4], [1, 1]]: ||A - R|| = 1, ||R|| = sqrt(26).
  // Row 0 identical (cos 1); row 1: cos((1,1),(0,1)) = 1/sqrt(2).
  const std::vector<float> a = {3, 4, 1, 1};
  const std::vector<double> r = {3, 4, 0, 1};
  const auto m = compare_outputs(a.data(), r.data(), 2, 2);
  EXPECT_NEAR(m.rel_fro, 1.0 / std::sqrt(26.0), 1e-15);
  EXPECT_EQ(m.max_abs, 1.0);
  EXPECT_NEAR(m.min_cos, 1.0 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(m.mean_cos, 0.5 * (1.0 + 1.0 / std::sqrt(2.0)), 1e-15);
}

TEST(ErrorMetrics, MaxAbsTakesTheLargestMagnitude) {
  const std::vector<float> a = {0.5f, -2.0f, 1.0f};
  const std::vector<double> r = {0.0, 1.0, 1.25};
  const auto m = compare_outputs(a.data(), r.data(), 1, 3);
  EXPECT_EQ(m.max_abs, 3.0);
  EXPECT_NEAR(m.rel_fro, std::sqrt(0.25 + 9.0 + 0.0625) / std::sqrt(1.0 + 1.5625), 1e-15);
}

TEST(ErrorMetrics, OppositeRowHasCosineMinusOne) {
  const std::vector<float> a = {-1, -2};
  const std::vector<double> r = {1, 2};
  const auto m = compare_outputs(a.data(), r.data(), 1, 2);
  EXPECT_NEAR(m.min_cos, -1.0, 1e-15);
  EXPECT_NEAR(m.rel_fro, 2.0, 1e-15);
}

TEST(ErrorMetrics, ScaleInvariantErrorForgivesOneGlobalScale) {
  // A = 2R: rel_fro 1, but a = 1/2 recovers R exactly.
  const std::vector<float> a = {2, 4, -6, 8};
  const std::vector<double> r = {1, 2, -3, 4};
  const auto m = compare_outputs(a.data(), r.data(), 2, 2);
  EXPECT_NEAR(m.rel_fro, 1.0, 1e-15);
  EXPECT_NEAR(m.scale_inv_rel_fro, 0.0, 1e-7);
  // R = [[3, 4], [0, 1]], A = [[3, 4], [1, 1]]: <A,R> = 26, |A|^2 = 27, |R|^2 = 26, so the best
  // a = 26/27 leaves sqrt(1 - 26/27) of R; a = 1 would leave 1/sqrt(26).
  const std::vector<float> a2 = {3, 4, 1, 1};
  const std::vector<double> r2 = {3, 4, 0, 1};
  const auto m2 = compare_outputs(a2.data(), r2.data(), 2, 2);
  EXPECT_NEAR(m2.scale_inv_rel_fro, std::sqrt(1.0 - 26.0 / 27.0), 1e-12);
  EXPECT_LT(m2.scale_inv_rel_fro, m2.rel_fro);
}

TEST(ErrorMetrics, ZeroRows) {
  // Row 0 zero in both -> cos 1; row 1 zero only in A -> 0; row 2 zero only in R -> 0.
  const std::vector<float> a = {0, 0, 0, 0, 1, 1};
  const std::vector<double> r = {0, 0, 2, 0, 0, 0};
  const auto m = compare_outputs(a.data(), r.data(), 3, 2);
  EXPECT_EQ(m.min_cos, 0.0);
  EXPECT_NEAR(m.mean_cos, 1.0 / 3.0, 1e-15);
}

TEST(ErrorMetrics, ZeroReferenceGivesAbsoluteNorm) {
  const std::vector<float> a = {3, 4};
  const std::vector<double> r = {0, 0};
  const auto m = compare_outputs(a.data(), r.data(), 1, 2);
  EXPECT_EQ(m.rel_fro, 5.0);
}

TEST(ErrorMetrics, FloatReferenceOverload) {
  const std::vector<float> a = {1, 0};
  const std::vector<float> r = {0, 1};
  const auto m = compare_outputs(a.data(), r.data(), 1, 2);
  EXPECT_NEAR(m.rel_fro, std::sqrt(2.0), 1e-15);
  EXPECT_EQ(m.mean_cos, 0.0);
}

TEST(ErrorMetrics, NonFiniteIsCountedAndPoisonsTheNumbers) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> a = {1, nan, 3, -inf};
  const std::vector<double> r = {1, 2, 3, 4};
  const auto m = compare_outputs(a.data(), r.data(), 2, 2);
  EXPECT_EQ(m.nonfinite, 2);
  EXPECT_TRUE(std::isnan(m.rel_fro));
  EXPECT_TRUE(std::isnan(m.max_abs));
  EXPECT_TRUE(std::isnan(m.mean_cos));
  EXPECT_TRUE(std::isnan(m.min_cos));
  EXPECT_TRUE(std::isnan(m.scale_inv_rel_fro));
  const auto j = to_json(m);
  EXPECT_TRUE(j.at("rel_fro").is_null());
  EXPECT_TRUE(j.at("min_cos").is_null());
  EXPECT_EQ(j.at("nonfinite"), 2);
  EXPECT_EQ(j.dump().find("NaN"), std::string::npos);
}

TEST(ErrorMetrics, JsonHasEveryField) {
  const std::vector<float> a = {3, 4, 1, 1};
  const std::vector<double> r = {3, 4, 0, 1};
  const auto j = to_json(compare_outputs(a.data(), r.data(), 2, 2));
  for (const char* key : {"rel_fro", "max_abs", "mean_cos", "min_cos", "scale_inv_rel_fro", "nonfinite"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j[key].is_number()) << key;
  }
  EXPECT_EQ(j["max_abs"], 1.0);
}

}  // namespace
}  // namespace attn
