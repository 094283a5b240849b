// The input regimes of issue 3 (sparse.md §0 "Input regimes matter"): rope attention decays with
// distance, sinks attract most of the attention, unit_norm rows have norm sqrt(beta) and options
// modify the base draw without changing it.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "inputs/distributions.hpp"

namespace attn {
namespace {

InputSpec spec(const char* dist, int64_t n = 1024) {
  InputSpec s;
  s.distribution = dist;
  s.seq_len = n;
  s.head_dim = 64;
  s.heads = 2;
  s.seed = 3;
  return s;
}

double dot(const InputTensors& t, int64_t i, int64_t j) {
  double s = 0;
  for (int64_t c = 0; c < t.shape.head_dim; ++c)
    s += double(t.q[i * t.shape.head_dim + c]) * t.k[j * t.shape.head_dim + c];
  return s / std::sqrt(double(t.shape.head_dim));
}

TEST(InputRegimes, RopeLogitsDecayWithDistance) {
  const InputTensors t = make_inputs(spec("rope"));
  auto mean_at_lag = [&](int64_t lag) {
    double sum = 0;
    for (int64_t i = 0; i + lag < 1024; ++i) sum += dot(t, i + lag, i);
    return sum / double(1024 - lag);
  };
  const double l0 = mean_at_lag(0), l4 = mean_at_lag(4), l64 = mean_at_lag(64), l512 = mean_at_lag(300);
  EXPECT_GT(l0, l4);
  EXPECT_GT(l4, l64);
  EXPECT_GT(l0, 4.0);          // peaked at temperature 1 (|u|^2 / sqrt(d) ~ sqrt(d) = 8)
  EXPECT_LT(std::abs(l512), l0 / 4);
}

TEST(InputRegimes, SinksTakeMostOfTheAttention) {
  InputSpec s = spec("gaussian");
  s.sinks = 1;
  const InputTensors t = make_inputs(s);
  double mass = 0;
  std::vector<double> row(1024);
  for (int64_t i = 0; i < 1024; ++i) {
    double mx = -1e300, sum = 0;
    for (int64_t j = 0; j < 1024; ++j) mx = std::max(mx, row[j] = dot(t, i, j));
    for (int64_t j = 0; j < 1024; ++j) sum += std::exp(row[j] - mx);
    mass += std::exp(row[0] - mx) / sum;
  }
  EXPECT_GT(mass / 1024, 0.5);
}

TEST(InputRegimes, UnitNormRowsScaleWithTemperatureAndKeepTheDraw) {
  InputSpec s = spec("gaussian", 256);
  const InputTensors plain = make_inputs(s);
  s.unit_norm = true;
  s.temperature = 4.0;
  const InputTensors unit = make_inputs(s);
  for (int64_t r = 0; r < 2 * 256; ++r) {
    double sq = 0, base = 0;
    for (int64_t c = 0; c < 64; ++c) sq += double(unit.k[r * 64 + c]) * unit.k[r * 64 + c];
    for (int64_t c = 0; c < 64; ++c) base += double(plain.k[r * 64 + c]) * plain.k[r * 64 + c];
    ASSERT_NEAR(sq, 4.0, 1e-4);
    ASSERT_NEAR(unit.k[r * 64] * std::sqrt(base) / 2.0, plain.k[r * 64], 1e-4);  // same direction
  }
  EXPECT_EQ(unit.v, plain.v);
  EXPECT_NE(s.id_fragment().find("/unit"), std::string::npos);
}

TEST(InputRegimes, OptionsAreRejectedForFileInputs) {
  InputSpec s = spec("file", 16);
  s.sinks = 2;
  EXPECT_THROW(make_inputs(s), UsageError);
}

}  // namespace
}  // namespace attn
