// LARA's MIS weights (ops/mis_weights.hpp) against the card's formulas written out in double, for
// every kind, one and several samples per proposal, the 1e-8 clamp; at one common omega the opt
// weights are the alphas, which sum to 1 over proposals before clamping; and the row statistics
// Skeinformer and LARA use (exp_rows_with_stats, col_sums, softmax_rows_lse).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ops/mis_weights.hpp"
#include "ops/rowwise.hpp"
#include "ops_testing.hpp"

namespace attn {
namespace {

using testing::CpuCase;

double lse(const double* x, int64_t n) {
  double mx = -HUGE_VAL, s = 0;
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
  for (int64_t i = 0; i < n; ++i) s += std::exp(x[i] - mx);
  return mx + std::log(s);
}

// out[n, p] by the card's steps 7-9 (one batch), S = samples: row p is drawn from proposal p % C.
std::vector<double> reference(const ops::MisShape& s, const std::vector<double>& lq, const std::vector<double>& lse_k,
                              const std::vector<double>& lmu, const std::vector<double>& aux) {
  const int64_t c_n = s.proposals, p_n = s.samples * c_n, n = s.queries;
  std::vector<double> out(static_cast<size_t>(n * p_n));
  for (int64_t q = 0; q < n; ++q) {
    std::vector<double> l(static_cast<size_t>(p_n));
    double mean_aux = 0;
    for (int64_t c = 0; c < c_n; ++c) mean_aux += aux.empty() ? 0 : aux[c * n + q] / double(c_n);
    for (int64_t p = 0; p < p_n; ++p) {
      const int64_t c = p % c_n;
      const double mix = std::log(double(s.samples)) + lse(&lmu[p * c_n], c_n), diag = lmu[p * c_n + c];
      double log_alpha = 0, logprop = mix;
      if (s.kind == ops::MisKind::opt) {
        log_alpha = std::log(std::max(std::exp(diag - mix) + s.alpha_coeff * (aux[c * n + q] - mean_aux), 1e-8));
        logprop = diag;
      } else if (s.kind == ops::MisKind::biased) {
        log_alpha = aux[c * n + q];
      }
      l[p] = log_alpha + lq[p * n + q] + lse_k[p] - logprop;
    }
    const double z = lse(l.data(), p_n);
    for (int64_t p = 0; p < p_n; ++p) out[q * p_n + p] = std::exp(l[p] - z);
  }
  return out;
}

TEST(MisWeights, MatchesTheCardForEveryKindAndSampleCount) {
  CpuCase cpu;
  constexpr int64_t kC = 5, kN = 37;
  for (int64_t samples : {1, 3}) {
    for (auto kind : {ops::MisKind::opt, ops::MisKind::bh, ops::MisKind::biased}) {
      for (double coeff : {1.0, 30.0}) {  // 30: the clamp is active for some (n, c)
        const ops::MisShape s{.batch = 2, .proposals = kC, .samples = samples, .queries = kN, .kind = kind,
                              .alpha_coeff = coeff};
        const int64_t p_n = samples * kC;
        const auto lq = testing::normal_vector<double>(2 * p_n * kN, 1, "lq", 2.0);
        const auto lk = testing::normal_vector<double>(2 * p_n, 1, "lk", 2.0);
        const auto lmu = testing::normal_vector<double>(2 * p_n * kC, 1, "lmu", 2.0);
        auto aux = testing::uniform_vector<double>(2 * kC * kN, 1, "aux", 0.0, 0.05);
        std::vector<double> out(2 * kN * p_n);
        ops::mis_weights<double>(cpu.ctx, s, lq.data(), lk.data(), lmu.data(),
                                 kind == ops::MisKind::bh ? nullptr : aux.data(), out.data());
        if (kind != ops::MisKind::bh) {  // the same aux laid out [N, C] (aux_query_major)
          std::vector<double> aux_t(aux.size()), out_t(out.size());
          for (int64_t b = 0; b < 2; ++b)
            for (int64_t c = 0; c < kC; ++c)
              for (int64_t q = 0; q < kN; ++q) aux_t[(b * kN + q) * kC + c] = aux[(b * kC + c) * kN + q];
          auto st = s;
          st.aux_query_major = true;
          ops::mis_weights<double>(cpu.ctx, st, lq.data(), lk.data(), lmu.data(), aux_t.data(), out_t.data());
          EXPECT_EQ(out_t, out);
        }
        // The fp32 path (vectorized exponential) agrees with the fp64 one to fp32 rounding.
        auto to_f = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
        const auto lqf = to_f(lq), lkf = to_f(lk), lmuf = to_f(lmu), auxf = to_f(aux);
        std::vector<float> outf(out.size());
        ops::mis_weights<float>(cpu.ctx, s, lqf.data(), lkf.data(), lmuf.data(),
                                kind == ops::MisKind::bh ? nullptr : auxf.data(), outf.data());
        std::vector<double> out_from_f(out.size());
        ops::mis_weights<double>(cpu.ctx, s, std::vector<double>(lqf.begin(), lqf.end()).data(),
                                 std::vector<double>(lkf.begin(), lkf.end()).data(),
                                 std::vector<double>(lmuf.begin(), lmuf.end()).data(),
                                 kind == ops::MisKind::bh ? nullptr : std::vector<double>(auxf.begin(), auxf.end()).data(),
                                 out_from_f.data());
        EXPECT_LT(testing::max_abs_diff(outf, out_from_f), 2e-6) << "fp32, S=" << samples << " kind=" << int(kind);
        for (int64_t b = 0; b < 2; ++b) {
          auto slice = [&](const std::vector<double>& v, int64_t per) {
            return std::vector<double>(v.begin() + b * per, v.begin() + (b + 1) * per);
          };
          const auto ref = reference(s, slice(lq, p_n * kN), slice(lk, p_n), slice(lmu, p_n * kC),
                                     kind == ops::MisKind::bh ? std::vector<double>{} : slice(aux, kC * kN));
          const auto got = slice(out, kN * p_n);
          EXPECT_LT(testing::max_abs_diff(got, ref), 1e-12) << "S=" << samples << " kind=" << int(kind);
          for (int64_t q = 0; q < kN; ++q) {
            double sum = 0;
            for (int64_t p = 0; p < p_n; ++p) sum += got[q * p_n + p];
            EXPECT_NEAR(sum, 1.0, 1e-12);
          }
        }
      }
    }
  }
}

TEST(MisWeights, OptWeightsAtACommonOmegaAreTheAlphasWhichSumToOne) {
  // Every sample at one common omega (identical Lmu rows) and lq = lse_k = 0: the opt weights are
  // alpha_c / q_c(omega), normalized. Multiplied back by q_c(omega) = exp(Lmu[c]) and renormalized
  // they are alpha_c = q_c / sum q + coeff (t_c - mean t) itself, because those alphas already sum
  // to 1 over proposals at a common omega (the MIS unbiasedness condition of the card).
  CpuCase cpu;
  constexpr int64_t kC = 6;
  constexpr double kCoeff = 0.5;
  const auto row = testing::normal_vector<double>(kC, 2, "omega", 1.5);
  const auto aux = testing::uniform_vector<double>(kC, 2, "t", 0.0, 0.05);
  std::vector<double> lmu, lq(kC, 0.0), lk(kC, 0.0), out(kC);
  for (int64_t c = 0; c < kC; ++c) lmu.insert(lmu.end(), row.begin(), row.end());
  ops::mis_weights<double>(cpu.ctx, {.proposals = kC, .queries = 1, .kind = ops::MisKind::opt, .alpha_coeff = kCoeff},
                           lq.data(), lk.data(), lmu.data(), aux.data(), out.data());
  double t_mean = 0, sum = 0, alpha_sum = 0;
  for (int64_t c = 0; c < kC; ++c) t_mean += aux[c] / kC;
  for (int64_t c = 0; c < kC; ++c) sum += out[c] * std::exp(row[c]);
  const double z = lse(row.data(), kC);
  for (int64_t c = 0; c < kC; ++c) {
    const double alpha = std::exp(row[c] - z) + kCoeff * (aux[c] - t_mean);
    alpha_sum += alpha;
    EXPECT_NEAR(out[c] * std::exp(row[c]) / sum, alpha, 1e-12);
  }
  EXPECT_NEAR(alpha_sum, 1.0, 1e-12);
}

TEST(RowStats, ExpRowsWithStatsAndColSums) {
  CpuCase cpu;
  constexpr int64_t kB = 2, kRows = 7, kCols = 9;
  auto x = testing::normal_vector<float>(kB * kRows * kCols, 3, "x", 3.0);
  const auto orig = x;
  std::vector<float> sum(kB * kRows), geo(kB * kRows), cols(kB * kCols);
  ops::col_sums<float>(cpu.ctx, ops::row_shape(kRows, kCols, kB), 0.5f, orig.data(), cols.data());
  ops::exp_rows_with_stats<float>(cpu.ctx, ops::row_shape(kRows, kCols, kB), x.data(), sum.data(), geo.data());
  for (int64_t r = 0; r < kB * kRows; ++r) {
    const float* o = &orig[r * kCols];
    const double mx = *std::max_element(o, o + kCols);
    double s = 0, mean = 0;
    for (int64_t c = 0; c < kCols; ++c) {
      EXPECT_NEAR(x[r * kCols + c], std::exp(o[c] - mx), 1e-6);
      s += std::exp(o[c] - mx);
      mean += o[c] / double(kCols);
    }
    EXPECT_NEAR(sum[r], s, 1e-5);
    EXPECT_NEAR(geo[r], std::exp(mean - mx), 1e-6);  // exp of the mean logit, not a log-mean-exp
  }
  for (int64_t b = 0; b < kB; ++b)
    for (int64_t c = 0; c < kCols; ++c) {
      double s = 0;
      for (int64_t r = 0; r < kRows; ++r) s += orig[(b * kRows + r) * kCols + c];
      EXPECT_NEAR(cols[b * kCols + c], 0.5 * s, 1e-5);
    }
}

TEST(RowStats, SoftmaxRowsLseMatchesLogSumExpAndSoftmax) {
  CpuCase cpu;
  constexpr int64_t kB = 2, kRows = 5, kCols = 300;
  for (double spread : {1.0, 40.0}) {
    auto x = testing::normal_vector<float>(kB * kRows * kCols, 4, "x", spread);
    const auto orig = x;
    std::vector<float> lse(kB * kRows), ref(kB * kRows);
    ops::row_logsumexp<float>(cpu.ctx, ops::row_shape(kRows, kCols, kB), orig.data(), ref.data());
    ops::softmax_rows_lse<float>(cpu.ctx, ops::row_shape(kRows, kCols, kB), x.data(), lse.data());
    for (int64_t r = 0; r < kB * kRows; ++r) {
      EXPECT_NEAR(lse[r], ref[r], 1e-5 * std::max(1.0, std::abs(double(ref[r]))));
      double total = 0;
      for (int64_t c = 0; c < kCols; ++c) {
        const double expect = std::exp(double(orig[r * kCols + c]) - double(ref[r]));
        EXPECT_NEAR(x[r * kCols + c], expect, 1e-6 + 1e-5 * expect);
        total += x[r * kCols + c];
      }
      EXPECT_NEAR(total, 1.0, 1e-5);
    }
  }
  std::vector<float> masked(4, -std::numeric_limits<float>::infinity()), l(1);
  ops::softmax_rows_lse<float>(cpu.ctx, ops::row_shape(1, 4), masked.data(), l.data());
  EXPECT_EQ(l[0], -std::numeric_limits<float>::infinity());
  for (float v : masked) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace attn
