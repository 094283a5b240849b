// Random features (kernel.md card 1): with iid W and eps = 0 the feature inner product is an
// unbiased estimate of exp(x.y) whose mean squared error matches the card's closed forms (positive,
// trig, hyperbolic); the stabilizing shifts cancel in attention; orthogonal draws are orthogonal
// within a block and reproducible.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/linear_attention.hpp"
#include "ops/random_features.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

double dot(const double* a, const double* b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// x and y of norm 0.5 at a fixed angle (the card keeps norms <= 0.6 so 4th moments stay tame).
void two_points(int64_t d, std::vector<double>* xy) {
  auto g = testing::normal_vector<double>(2 * d, 42, "xy");
  for (int r = 0; r < 2; ++r) {
    const double norm = std::sqrt(dot(g.data() + r * d, g.data() + r * d, d));
    for (int64_t c = 0; c < d; ++c) g[r * d + c] *= 0.5 / norm;
  }
  *xy = g;
}

// Replicates of the kernel estimate k_hat = phi(x).phi(y) with the per-row shift undone (the test
// recomputes c_i from W and the input, so it also checks the map's formula).
struct Stats {
  double mean = 0, mse = 0, se_mean = 0, se_mse = 0;
};

Stats replicate(FeatureKind kind, int64_t d, int64_t m, int replicates) {
  testing::CpuCase cc(1);
  std::vector<double> xy;
  two_points(d, &xy);
  const double truth = std::exp(dot(xy.data(), xy.data() + d, d));
  FeatureShape s{.batch = 1, .seq_len = 2, .head_dim = d, .projections = m, .kind = kind,
                 .shift = FeatureShift::per_row, .eps = 0.0};
  const int64_t cols = feature_columns(s);
  std::vector<double> w(static_cast<std::size_t>(m * d)), phi(static_cast<std::size_t>(2 * cols));
  double sum = 0, sum2 = 0, sq = 0, sq2 = 0;
  for (int r = 0; r < replicates; ++r) {
    draw_projection(Rng(uint64_t(r), "rf-test", "w"), m, d, /*orthogonal=*/false, false, w.data());
    random_features<double>(cc.ctx, s, xy.data(), w.data(), phi.data());
    // trig: both rows carry exp(-max_n |x_n|^2 / 2); |x| = |y| = 0.5 makes that exp(-1/8) each.
    double unshift = kind == FeatureKind::trig ? std::exp(2 * 0.125) : 1.0;
    if (kind != FeatureKind::trig) {  // positive: c = max u; hyperbolic: c = max |u|
      for (int row = 0; row < 2; ++row) {
        double c = kind == FeatureKind::positive ? -INFINITY : 0.0;
        for (int64_t j = 0; j < m; ++j) {
          const double u = dot(xy.data() + row * d, w.data() + j * d, d);
          c = std::max(c, kind == FeatureKind::positive ? u : std::abs(u));
        }
        unshift *= std::exp(c);
      }
    }
    const double k = dot(phi.data(), phi.data() + cols, cols) * unshift;
    const double e2 = (k - truth) * (k - truth);
    sum += k;
    sum2 += k * k;
    sq += e2;
    sq2 += e2 * e2;
  }
  const double n = replicates;
  Stats st;
  st.mean = sum / n;
  st.se_mean = std::sqrt(std::max(0.0, sum2 / n - st.mean * st.mean) / n);
  st.mse = sq / n;
  st.se_mse = std::sqrt(std::max(0.0, sq2 / n - st.mse * st.mse) / n);
  return st;
}

double closed_form_mse(FeatureKind kind, int64_t d, int64_t m) {
  std::vector<double> xy;
  two_points(d, &xy);
  const double* x = xy.data();
  const double* y = xy.data() + d;
  double plus = 0, minus = 0;
  for (int64_t c = 0; c < d; ++c) {
    plus += (x[c] + y[c]) * (x[c] + y[c]);
    minus += (x[c] - y[c]) * (x[c] - y[c]);
  }
  const double sm = std::exp(dot(x, y, d));
  const double pos = std::exp(plus) * sm * sm * (1 - std::exp(-plus)) / double(m);
  switch (kind) {
    case FeatureKind::positive: return pos;
    case FeatureKind::hyperbolic: return 0.5 * (1 - std::exp(-plus)) * pos;
    case FeatureKind::trig: return std::exp(plus) / (sm * sm) * std::pow(1 - std::exp(-minus), 2) / (2.0 * double(m));
  }
  return 0;
}

TEST(OpsRandomFeatures, UnbiasedWithClosedFormMse) {
  const int64_t d = 16, m = 16;
  const int replicates = 20000;
  for (FeatureKind kind : {FeatureKind::positive, FeatureKind::trig, FeatureKind::hyperbolic}) {
    std::vector<double> xy;
    two_points(d, &xy);
    const double truth = std::exp(dot(xy.data(), xy.data() + d, d));
    const Stats st = replicate(kind, d, m, replicates);
    const double mse = closed_form_mse(kind, d, m);
    // 5 standard errors: a false alarm is ~1e-6 per check; a wrong sign, shift or scale is far off.
    EXPECT_NEAR(st.mean, truth, 5 * st.se_mean) << "kind " << int(kind);
    EXPECT_NEAR(st.mse, mse, 5 * st.se_mse) << "kind " << int(kind) << " closed form " << mse;
    EXPECT_NEAR(st.mse / mse, 1.0, 0.1) << "kind " << int(kind);
  }
}

TEST(OpsRandomFeatures, ShiftsCancelInAttention) {
  // eps = 0: a query's shift is a constant of its row and the keys' shift one constant per head, so
  // both cancel between numerator and denominator (card 1, sanity test 3): queries with per-row or
  // per-head shifts give the same output against per-head-shifted keys.
  testing::CpuCase cc(2);
  const int64_t n = 40, d = 8, m = 24;
  const auto q = testing::normal_vector<double>(2 * n * d, 5, "q", 0.8);
  const auto k = testing::normal_vector<double>(2 * n * d, 6, "k", 0.8);
  const auto v = testing::normal_vector<double>(2 * n * d, 7, "v");
  std::vector<double> w(m * d);
  draw_projection(Rng(1, "rf", "w"), m, d, true, true, w.data());
  for (FeatureKind kind : {FeatureKind::positive, FeatureKind::hyperbolic}) {
    FeatureShape s{.batch = 2, .seq_len = n, .head_dim = d, .projections = m, .kind = kind,
                   .shift = FeatureShift::per_head, .eps = 0.0, .input_scale = std::pow(double(d), -0.25)};
    const int64_t cols = feature_columns(s);
    std::vector<double> phi_k(static_cast<std::size_t>(2 * n * cols));
    random_features<double>(cc.ctx, s, k.data(), w.data(), phi_k.data());
    std::vector<std::vector<double>> outs;
    for (FeatureShift shift : {FeatureShift::per_row, FeatureShift::per_head}) {
      s.shift = shift;
      std::vector<double> phi_q(phi_k.size());
      random_features<double>(cc.ctx, s, q.data(), w.data(), phi_q.data());
      std::vector<double> out(v.size());
      LinearAttentionShape la{.batch = 2, .seq_len = n, .features = cols, .value_dim = d, .guard_eps = 0.0};
      linear_attention<double>(cc.ctx, la, phi_q.data(), phi_k.data(), v.data(), out.data());
      outs.push_back(out);
    }
    EXPECT_LT(testing::max_abs_diff(outs[0], outs[1]), 1e-10) << "kind " << int(kind);
  }
}

TEST(OpsRandomFeatures, PositiveFeaturesMapFormulaAndFp32) {
  testing::CpuCase cc(2);
  const int64_t n = 33, d = 16, m = 20;
  const auto x = testing::normal_vector<double>(n * d, 7, "x");
  std::vector<double> w(m * d);
  draw_projection(Rng(2, "rf", "w"), m, d, false, false, w.data());
  FeatureShape s{.batch = 1, .seq_len = n, .head_dim = d, .projections = m, .eps = 1e-3, .input_scale = 0.5};
  for (FeatureShift shift : {FeatureShift::per_row, FeatureShift::per_head}) {
    s.shift = shift;
    std::vector<double> u(n * m), expect(n * m);
    double head_max = -INFINITY;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) head_max = std::max(head_max, u[i * m + j] = 0.5 * dot(&x[i * d], &w[j * d], d));
    }
    for (int64_t i = 0; i < n; ++i) {
      const double h = 0.125 * dot(&x[i * d], &x[i * d], d);  // |0.5 x|^2 / 2
      double c = shift == FeatureShift::per_head ? head_max : *std::max_element(&u[i * m], &u[i * m] + m);
      for (int64_t j = 0; j < m; ++j) expect[i * m + j] = (std::exp(u[i * m + j] - h - c) + 1e-3) / std::sqrt(double(m));
    }
    std::vector<double> out(n * m);
    random_features<double>(cc.ctx, s, x.data(), w.data(), out.data());
    EXPECT_LT(testing::max_abs_diff(out, expect), 1e-14);
    std::vector<float> xf(x.begin(), x.end()), wf(w.begin(), w.end()), outf(n * m);
    random_features<float>(cc.ctx, s, xf.data(), wf.data(), outf.data());
    EXPECT_LT(testing::rel_fro(outf, expect), 1e-6);  // the AVX2 exp path is accurate to a few ulp
  }
}

TEST(OpsRandomFeatures, OrthogonalProjectionBlocks) {
  const int64_t m = 40, d = 16;  // two full blocks and a truncated one of 8 rows
  for (bool chi : {false, true}) {
    std::vector<double> w(m * d);
    draw_projection(Rng(9, "rf", "w"), m, d, true, chi, w.data());
    for (int64_t i = 0; i < m; ++i) {
      const double ni = std::sqrt(dot(&w[i * d], &w[i * d], d));
      if (!chi) EXPECT_NEAR(ni, 4.0, 1e-12);  // sqrt(d)
      EXPECT_GT(ni, 0.0);
      for (int64_t j = i + 1; j < m && j / d == i / d; ++j) {
        const double nj = std::sqrt(dot(&w[j * d], &w[j * d], d));
        EXPECT_NEAR(dot(&w[i * d], &w[j * d], d) / (ni * nj), 0.0, 1e-12) << "rows " << i << ", " << j;
      }
    }
    std::vector<double> again(m * d);
    std::vector<float> single(m * d);
    draw_projection(Rng(9, "rf", "w"), m, d, true, chi, again.data());
    draw_projection(Rng(9, "rf", "w"), m, d, true, chi, single.data());
    EXPECT_EQ(w, again);
    for (int64_t i = 0; i < m * d; ++i) EXPECT_EQ(single[i], static_cast<float>(w[i]));
  }
  // Different blocks are independent draws, not copies.
  std::vector<double> w(2 * d * d);
  draw_projection(Rng(3, "rf", "w"), 2 * d, d, true, false, w.data());
  EXPECT_GT(std::abs(dot(&w[0], &w[d * d], d)), 1e-6);
}

TEST(OpsRandomFeatures, TrigAndHyperbolicColumns) {
  testing::CpuCase cc(1);
  const int64_t n = 5, d = 4, m = 3;
  const auto x = testing::normal_vector<double>(n * d, 1, "x", 0.5);
  std::vector<double> w(m * d);
  draw_projection(Rng(4, "rf", "w"), m, d, false, false, w.data());
  FeatureShape s{.batch = 1, .seq_len = n, .head_dim = d, .projections = m, .kind = FeatureKind::trig};
  EXPECT_EQ(feature_columns(s), 2 * m);
  std::vector<double> out(n * 2 * m);
  random_features<double>(cc.ctx, s, x.data(), w.data(), out.data());
  double hmax = 0;
  for (int64_t i = 0; i < n; ++i) hmax = std::max(hmax, 0.5 * dot(&x[i * d], &x[i * d], d));
  for (int64_t i = 0; i < n; ++i) {
    const double f = std::exp(0.5 * dot(&x[i * d], &x[i * d], d) - hmax) / std::sqrt(double(m));
    for (int64_t j = 0; j < m; ++j) {
      const double u = dot(&x[i * d], &w[j * d], d);
      EXPECT_NEAR(out[i * 2 * m + j], std::cos(u) * f, 1e-15);
      EXPECT_NEAR(out[i * 2 * m + m + j], std::sin(u) * f, 1e-15);
    }
  }
}

}  // namespace
}  // namespace attn::ops
