// summarize() on samples whose statistics are known by hand.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "metrics/timing_stats.hpp"

namespace attn {
namespace {

TEST(TimingStats, OddCountMedianIsTheMiddleSample) {
  const auto t = summarize({5, 1, 3});
  EXPECT_EQ(t.median, 3);
  EXPECT_EQ(t.min, 1);
  EXPECT_EQ(t.max, 5);
  EXPECT_EQ(t.mean, 3);
  EXPECT_DOUBLE_EQ(t.stddev, 2.0);  // sample stddev: sqrt((4 + 0 + 4) / 2)
  EXPECT_DOUBLE_EQ(t.cv, 2.0 / 3.0);
}

TEST(TimingStats, EvenCountMedianIsTheMeanOfTheMiddleTwo) {
  const auto t = summarize({4, 1, 10, 2});
  EXPECT_EQ(t.median, 3);
  EXPECT_EQ(t.mean, 4.25);
}

TEST(TimingStats, KnownSampleStddev) {
  // 2 4 4 4 5 5 7 9: mean 5, sum of squares 32, sample variance 32/7.
  const auto t = summarize({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(t.mean, 5);
  EXPECT_DOUBLE_EQ(t.stddev, std::sqrt(32.0 / 7.0));
  EXPECT_EQ(t.median, 4.5);
}

TEST(TimingStats, SamplesKeptInMeasurementOrder) {
  const auto t = summarize({3, 1, 2});
  EXPECT_EQ(t.samples, (std::vector<double>{3, 1, 2}));
}

TEST(TimingStats, SingleSampleHasZeroSpread) {
  const auto t = summarize({7.5});
  EXPECT_EQ(t.median, 7.5);
  EXPECT_EQ(t.stddev, 0);
  EXPECT_EQ(t.cv, 0);
}

TEST(TimingStats, EmptyIsAllZeros) {
  const auto t = summarize({});
  EXPECT_EQ(t.median, 0);
  EXPECT_EQ(t.mean, 0);
  EXPECT_EQ(t.min, 0);
  EXPECT_EQ(t.max, 0);
  EXPECT_EQ(t.stddev, 0);
  EXPECT_EQ(t.cv, 0);
  EXPECT_TRUE(t.samples.empty());
}

TEST(TimingStats, JsonRoundTrip) {
  const auto t = summarize({1.25, 0.1, 3.0 / 7.0, 2});
  const auto j = to_json(t);
  for (const char* key : {"median", "mean", "min", "max", "stddev", "cv", "samples"}) EXPECT_TRUE(j.contains(key)) << key;
  const auto back = timing_from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.median, t.median);
  EXPECT_EQ(back.stddev, t.stddev);
  EXPECT_EQ(back.cv, t.cv);
  EXPECT_EQ(back.samples, t.samples);
  EXPECT_EQ(to_json(back), j);
}

TEST(TimingStats, MalformedJsonIsAUsageError) {
  EXPECT_THROW(timing_from_json(nlohmann::json{{"median", "fast"}}), UsageError);
  EXPECT_THROW(timing_from_json(nlohmann::json{{"samples", {1, "x"}}}), UsageError);
  EXPECT_THROW(timing_from_json(nlohmann::json::array()), UsageError);
}

}  // namespace
}  // namespace attn
