// Newton-Schulz pseudo-inverse (lowrank.md card 1): 30 iterations invert a well-conditioned
// row-stochastic W to ||W Z W - W|| / ||W|| < 1e-6, the residual E = I - W Z follows
// E_{j+1} = E_j^3 (3I + E_j) / 4, and the two initializations use the documented constants.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/pinv.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using Mat = std::vector<double>;

Mat matmul(int64_t n, const double* a, const double* b) {
  Mat c(static_cast<std::size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t l = 0; l < n; ++l) {
      for (int64_t j = 0; j < n; ++j) c[i * n + j] += a[i * n + l] * b[l * n + j];
    }
  }
  return c;
}

double fro(const Mat& a) {
  double s = 0;
  for (double v : a) s += v * v;
  return std::sqrt(s);
}

// batch row-stochastic matrices W = (1 - mix) I + mix R with R positive and row-normalized: the
// identity part keeps the spectrum away from 0 (cond well under 1e3).
Mat stochastic(int64_t batch, int64_t n, double mix, uint64_t seed) {
  Mat w = testing::uniform_vector<double>(batch * n * n, seed, "w", 0.05, 1.0);
  for (int64_t r = 0; r < batch * n; ++r) {
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) sum += w[r * n + j];
    for (int64_t j = 0; j < n; ++j) w[r * n + j] = mix * w[r * n + j] / sum + ((r % n) == j ? 1 - mix : 0.0);
  }
  return w;
}

Mat residual(int64_t n, const double* w, const double* z) {  // I - W Z
  Mat e = matmul(n, w, z);
  for (auto& v : e) v = -v;
  for (int64_t i = 0; i < n; ++i) e[i * n + i] += 1.0;
  return e;
}

TEST(OpsPinv, ThirtyIterationsInvertWellConditioned) {
  testing::CpuCase cc(2);
  const int64_t batch = 3, n = 24;
  const Mat w = stochastic(batch, n, 0.7, 1);
  for (PinvInit init : {PinvInit::original, PinvInit::exact}) {
    Mat z(w.size());
    newton_schulz_pinv<double>(cc.ctx, PinvShape{batch, n, 30, init}, w.data(), z.data());
    for (int64_t b = 0; b < batch; ++b) {
      const double* wb = w.data() + b * n * n;
      const Mat wz = matmul(n, wb, z.data() + b * n * n);
      Mat wzw = matmul(n, wz.data(), wb);
      for (int64_t i = 0; i < n * n; ++i) wzw[i] -= wb[i];
      EXPECT_LT(fro(wzw) / fro(Mat(wb, wb + n * n)), 1e-6) << "batch " << b;
    }
    std::vector<float> wf(w.begin(), w.end()), zf(w.size());
    newton_schulz_pinv<float>(cc.ctx, PinvShape{batch, n, 30, init}, wf.data(), zf.data());
    EXPECT_LT(testing::rel_fro(zf, z), 1e-4);  // fp32 agrees with fp64 to single precision
  }
  EXPECT_EQ(cc.ws.peak_bytes(), newton_schulz_pinv_scratch_bytes(PinvShape{batch, n}, sizeof(double)));
}

TEST(OpsPinv, ErrorRecursionIsThirdOrder) {
  testing::CpuCase cc(1);
  const int64_t n = 16;
  const Mat w = stochastic(1, n, 0.9, 2);
  Mat prev(w.size());
  newton_schulz_pinv<double>(cc.ctx, PinvShape{1, n, 0, PinvInit::exact}, w.data(), prev.data());
  for (int j = 1; j <= 6; ++j) {
    Mat z(w.size());
    newton_schulz_pinv<double>(cc.ctx, PinvShape{1, n, j, PinvInit::exact}, w.data(), z.data());
    const Mat e = residual(n, w.data(), prev.data());
    Mat rhs = e;  // 3I + E
    for (int64_t i = 0; i < n; ++i) rhs[i * n + i] += 3.0;
    const Mat e2 = matmul(n, e.data(), e.data());
    const Mat e3 = matmul(n, e2.data(), e.data());
    Mat predicted = matmul(n, e3.data(), rhs.data());
    for (auto& v : predicted) v /= 4.0;
    const Mat actual = residual(n, w.data(), z.data());
    Mat diff(actual.size());
    for (std::size_t i = 0; i < diff.size(); ++i) diff[i] = actual[i] - predicted[i];
    EXPECT_LT(fro(diff), 1e-12 + 1e-10 * fro(e)) << "iteration " << j;
    prev = z;
  }
}

TEST(OpsPinv, InitialisationConstants) {
  testing::CpuCase cc(1);
  const int64_t batch = 2, n = 5;
  Mat w = testing::uniform_vector<double>(batch * n * n, 3, "w", -1.0, 1.0);
  for (int64_t i = 0; i < n * n; ++i) w[n * n + i] *= 3.0;  // head 1 has the larger column sums
  auto norms = [&](int64_t b) {
    double col = 0, row = 0;
    for (int64_t j = 0; j < n; ++j) {
      double cs = 0, rs = 0;
      for (int64_t i = 0; i < n; ++i) {
        cs += std::abs(w[b * n * n + i * n + j]);
        rs += std::abs(w[b * n * n + j * n + i]);
      }
      col = std::max(col, cs);
      row = std::max(row, rs);
    }
    return std::pair{col, row};
  };
  for (PinvInit init : {PinvInit::original, PinvInit::exact}) {
    Mat z(w.size());
    newton_schulz_pinv<double>(cc.ctx, PinvShape{batch, n, 0, init}, w.data(), z.data());
    for (int64_t b = 0; b < batch; ++b) {
      const auto [col, row] = norms(b);
      const double c = init == PinvInit::original ? norms(1).first : col * row;  // original: global max
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < n; ++j) EXPECT_NEAR(z[b * n * n + i * n + j], w[b * n * n + j * n + i] / c, 1e-15);
      }
    }
  }
}

}  // namespace
}  // namespace attn::ops
