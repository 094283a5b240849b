// svd-oracle and the randomized SVD op (lowrank.md card 4): rounding-level recovery of an exactly
// rank-r matrix, q = 2 within 5% of Eckart-Young on attention matrices, the HMT expected-error
// bound (Thm 10.5) over 20 seeds, the deterministic EY lower bound, and the method's output.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "ops/attention_matrix.hpp"
#include "ops/gemm.hpp"
#include "ops/svd.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {

struct Fixture {
  Workspace ws{Device::cpu};
  Context ctx{.device = Device::cpu, .workspace = &ws, .threads = 2};
};

std::vector<double> attention(Fixture& f, int64_t n, uint64_t seed, double scale) {
  const Inputs in = make_inputs({1, 1, n, 32}, seed, scale, true);
  std::vector<double> a(static_cast<size_t>(n * n));
  ops::attention_matrix<double>(f.ctx, {.batch = 1, .n = n, .d = 32}, in.q.data(), in.k.data(), a.data());
  return a;
}

double fro(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v * v;
  return std::sqrt(s);
}

struct RsvdRun {
  double rank_k_error = 0, projection_error = 0;
};

RsvdRun run_rsvd(Fixture& f, const std::vector<double>& a, int64_t n, int64_t k, int64_t p, int64_t q, uint64_t seed) {
  const ops::RsvdShape s{.rows = n, .cols = n, .rank = k, .oversample = p, .power_iters = q};
  std::vector<double> omega(static_cast<size_t>(n * s.sketch())), u(n * k), sv(k), vt(k * n), basis(n * s.sketch());
  Rng(seed, "test/rsvd", "omega").fill_normal(omega.data(), static_cast<int64_t>(omega.size()));
  ops::randomized_svd(f.ctx, s, a.data(), omega.data(), u.data(), sv.data(), vt.data(), basis.data());
  RsvdRun r;
  std::vector<double> diff(a);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j) vt[i * n + j] *= sv[i];
  ops::gemm<double>(f.ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, n, k), -1.0, u.data(), vt.data(), 1.0,
                    diff.data());
  r.rank_k_error = fro(diff);
  // (I - QQ^T) A
  std::vector<double> qta(static_cast<size_t>(s.sketch() * n)), proj(a);
  ops::gemm<double>(f.ctx, ops::gemm_shape(ops::Trans::yes, ops::Trans::no, s.sketch(), n, n), 1.0, basis.data(),
                    a.data(), 0.0, qta.data());
  ops::gemm<double>(f.ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, n, s.sketch()), -1.0, basis.data(),
                    qta.data(), 1.0, proj.data());
  r.projection_error = fro(proj);
  return r;
}

double eckart_young(Fixture& f, const std::vector<double>& a, int64_t n, int64_t k) {
  std::vector<double> s(static_cast<size_t>(n));
  ops::singular_values(f.ctx, n, n, a.data(), s.data());
  double tail = 0;
  for (int64_t j = k; j < n; ++j) tail += s[j] * s[j];
  return std::sqrt(tail);
}

TEST(RandomizedSvd, RecoversAnExactlyLowRankMatrix) {
  Fixture f;
  const int64_t n = 150, r = 7;
  std::vector<double> x(n * r), y(r * n), a(n * n);
  Rng(1, "test/rsvd", "x").fill_normal(x.data(), n * r);
  Rng(1, "test/rsvd", "y").fill_normal(y.data(), r * n);
  ops::gemm<double>(f.ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, n, r), 1.0, x.data(), y.data(), 0.0,
                    a.data());
  for (int64_t q : {0, 2}) EXPECT_LT(run_rsvd(f, a, n, r, 5, q, 3).rank_k_error / fro(a), 1e-12) << "q=" << q;
}

TEST(RandomizedSvd, TwoPowerIterationsReachEckartYoungWithinFivePercent) {
  Fixture f;
  const int64_t n = 256;
  for (double scale : {1.0, 2.0})
    for (int64_t k : {8, 32}) {
      const auto a = attention(f, n, 7, scale);
      const double ey = eckart_young(f, a, n, k);
      const RsvdRun r = run_rsvd(f, a, n, k, 10, 2, 5);
      EXPECT_GE(r.rank_k_error, ey * (1 - 1e-9)) << "the truncated rank-k error can never beat EY";
      EXPECT_LE(r.rank_k_error, 1.05 * ey) << "scale " << scale << " k " << k;
    }
}

TEST(RandomizedSvd, HmtExpectedFrobeniusBoundHoldsOverTwentySeeds) {
  Fixture f;
  const int64_t n = 200, k = 16, p = 6;
  const auto a = attention(f, n, 9, 1.0);
  const double bound = std::sqrt(1.0 + double(k) / double(p - 1)) * eckart_young(f, a, n, k);
  constexpr int kSeeds = 20;
  double sum = 0, sum2 = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    const double e = run_rsvd(f, a, n, k, p, 0, 100 + seed).projection_error;
    sum += e;
    sum2 += e * e;
  }
  const double mean = sum / kSeeds, sd = std::sqrt(std::max(0.0, sum2 / kSeeds - mean * mean));
  EXPECT_LE(mean, bound + 3 * sd / std::sqrt(double(kSeeds))) << "mean " << mean << " bound " << bound;
  // Power iterations only help: q = 2 is closer to the bound's floor than q = 0.
  EXPECT_LT(run_rsvd(f, a, n, k, p, 2, 100).projection_error, mean);
}

TEST(SvdOracle, OutputIsTheRankRApproximationTimesV) {
  const Inputs in = make_inputs({1, 2, 97, 32}, 2, 1.0, true);
  const auto exact = naive_attention<double>(in, {});
  double prev = INFINITY;
  for (int64_t r : {4, 16, 64}) {
    const MethodRun run = run_method("svd-oracle", in, false, 0, {.rank = r});
    const double err = rel_fro(run.out, exact, 32);
    EXPECT_LT(err, prev) << run.replay;
    prev = err;
  }
  // r = N (p = 0): the sketch spans everything, so A_r V is exact up to rounding.
  const MethodRun full = run_method("svd-oracle", in, true, 0, {.rank = 97}, {{"oversample", int64_t{0}}});
  EXPECT_LT(rel_fro(full.out, naive_attention<double>(in, {.causal = true}), 32), 1e-6) << full.replay;
  EXPECT_EQ(*full.realized.rank, 97);
}

TEST(SvdOracle, SkipsInfeasibleRanksAndMatchesItsMemoryModel) {
  const Inputs small = make_inputs({1, 1, 40, 16}, 2);
  EXPECT_THROW(run_method("svd-oracle", small, false, 0, {.rank = 35}), UnsupportedError);
  const Inputs in = make_inputs({1, 2, 512, 64}, 2);
  const MethodRun run = run_method("svd-oracle", in, false, 0, {.rank = 32});
  EXPECT_LE(std::abs(double(run.peak_bytes) - run.estimate_bytes), 0.1 * run.estimate_bytes + 64 * 1024)
      << run.peak_bytes << " vs " << run.estimate_bytes << "; " << run.replay;
  EXPECT_FALSE(MethodRegistry::instance().find("svd-oracle")->subquadratic);
  EXPECT_TRUE(MethodRegistry::instance().find("svd-oracle")->linear_in_v);
}

}  // namespace
}  // namespace attn::test
