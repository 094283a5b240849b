// Method suite for the low-rank / sketching / pooling family of issue 4 (lowrank.md cards 1-3,
// kernel.md cards 4-7): exactness limits, convergence over 4 seeds, and the memory model.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ops/segment_means.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {

using Params = std::vector<std::pair<std::string, ParamValue>>;

// Plain fp32 softmax error: the tolerance unit of the exactness tier (2x + 1e-7).
double fp32_floor(const Inputs& in, const std::vector<double>& ref) {
  const auto f = naive_attention<float>(in, {});
  return rel_fro(f, ref, in.shape.head_dim);
}

class ExactLimits : public testing::TestWithParam<int64_t> {};

TEST_P(ExactLimits, FullRankSettingsReproduceSoftmax) {
  const int64_t n = GetParam();
  const Inputs in = make_inputs({1, 2, n, 32}, 40 + n, 0.5);
  const auto ref = naive_attention<double>(in, {});
  const double tol = 2 * fp32_floor(in, ref) + 1e-7;
  struct Case {
    std::string method;
    Params params;
    double tol;
  };
  const std::vector<Case> cases = {
      {"linformer", {{"projection", std::string("identity")}}, tol},
      {"linformer", {{"projection", std::string("segment-means")}}, tol},
      {"luna", {{"pack", std::string("identity")}}, tol},
      {"contextpool", {}, tol},  // stride 1: every token its own box
      {"contextpool", {{"variant", std::string("same")}, {"sigma", 0.0}}, tol},
  };
  for (const auto& c : cases) {
    const MethodRun run = run_method(c.method, in, false, 1, {.rank = n}, c.params);
    EXPECT_LE(rel_fro(run.out, ref, 32), c.tol) << run.replay;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, ExactLimits, testing::Values(64, 97, 256, 1025));

TEST(CurFamily, AllTokensAsSamplesIsExactOnWellConditionedScores) {
  // The card's exact limit: s = N with N <= d so E is well conditioned; alpha = 0 (no shift) for SMS.
  const Inputs in = make_inputs({1, 2, 32, 64}, 51, 1.5);
  const auto ref = naive_attention<double>(in, {});
  for (const auto& [name, params] :
       std::vector<std::pair<std::string, Params>>{{"cur", {{"rcond", 1e-12}}},
                                                   {"sms-nystrom", {{"alpha", 0.0}}}}) {
    const MethodRun run = run_method(name, in, false, 3, {.rank = 32}, params);
    EXPECT_LT(rel_fro(run.out, ref, 64), 1e-4) << run.replay;
  }
}

TEST(Linformer, PiecewiseConstantKeysAndValuesAreExactWithLogMass) {
  // Unequal segments (N = 97, k = 8): constant K and V within each segment plus the log|seg| bias
  // reproduce softmax exactly (kernel.md card 4 test 3).
  Inputs in = make_inputs({1, 1, 97, 16}, 52, 0.7);
  for (int64_t j = 0; j < 8; ++j) {
    int64_t lo = 0, hi = 0;
    ops::segment_bounds(97, 8, j, &lo, &hi);
    for (int64_t i = lo + 1; i < hi; ++i)
      for (int64_t c = 0; c < 16; ++c) {
        in.k[i * 16 + c] = in.k[lo * 16 + c];
        in.v[i * 16 + c] = in.v[lo * 16 + c];
      }
  }
  const auto ref = naive_attention<double>(in, {});
  const MethodRun run = run_method("linformer", in, false, 0, {.rank = 8});
  EXPECT_LT(rel_fro(run.out, ref, 16), 1e-5) << run.replay;
}

double mean_error(const std::string& name, const Inputs& in, const std::vector<double>& ref, int64_t rank,
                  const Params& params = {}) {
  double sum = 0;
  for (uint64_t seed = 0; seed < 4; ++seed)
    sum += rel_fro(run_method(name, in, false, seed, {.rank = rank}, params).out, ref, in.shape.head_dim);
  return sum / 4;
}

TEST(LowRankConvergence, ErrorFallsWithRankOnStructuredInputs) {
  // Smooth (local) inputs, where the cards expect monotone improvement (lowrank.md section 0). Luna
  // is left out: untrained segQ packing stays near the trivial error except on clustered inputs
  // (kernel.md card 5), which the calibration spec covers.
  const Inputs in = make_inputs({1, 1, 512, 32}, 53, 0.7, true);
  const auto ref = naive_attention<double>(in, {});
  for (const std::string name : {"linformer", "contextpool", "cur"}) {
    const double lo = mean_error(name, in, ref, 16), hi = mean_error(name, in, ref, 256);
    EXPECT_LT(hi, 0.8 * lo) << name << ": rank 16 " << lo << ", rank 256 " << hi;
  }
}

TEST(LowRankConvergence, RandomizedProjectionsConvergeOverSeeds) {
  // Gaussian Linformer is catastrophic untrained (the card's JL scale problem) but its error still
  // falls with k; SMS-Nystrom is over-regularized (flat) by the card's measurement, so only its
  // sanity (finite, no worse than 2x trivial) is checked.
  const Inputs in = make_inputs({1, 1, 512, 32}, 54, 0.5, true);
  const auto ref = naive_attention<double>(in, {});
  const Params gauss = {{"projection", std::string("gaussian")}};
  EXPECT_LT(mean_error("linformer", in, ref, 256, gauss), mean_error("linformer", in, ref, 16, gauss));
  const double sms = mean_error("sms-nystrom", in, ref, 64);
  EXPECT_TRUE(std::isfinite(sms));
  EXPECT_LT(sms, 2.0);
}

TEST(LunaCausal, DefaultPackTurnsRandomAndTheFutureNeverLeaks) {
  // kernel.md card 5, causal: segment means would read the future, so `auto` resolves to random P;
  // an explicit segq is a skipped case with the reason, never a silently leaky run.
  Inputs in = make_inputs({1, 2, 97, 16}, 56, 0.7);
  const MethodRun a = run_method("luna", in, true, 0, {.rank = 8});
  EXPECT_EQ(a.params.get_string("pack"), "random") << a.replay;
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 60; i < 97; ++i)
      for (int64_t c = 0; c < 16; ++c) {
        const auto at = static_cast<std::size_t>((h * 97 + i) * 16 + c);
        in.q[at] += 2.0f;
        in.k[at] -= 1.0f;
        in.v[at] *= -4.0f;
      }
  const MethodRun b = run_method("luna", in, true, 0, {.rank = 8});
  double past = 0, future = 0;
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 97; ++i)
      for (int64_t c = 0; c < 16; ++c) {
        const auto at = static_cast<std::size_t>((h * 97 + i) * 16 + c);
        (i < 60 ? past : future) += std::abs(a.out[at] - b.out[at]);
      }
  EXPECT_EQ(past, 0.0) << a.replay;
  EXPECT_GT(future, 1.0) << a.replay;
  EXPECT_THROW(run_method("luna", in, true, 0, {.rank = 8}, {{"pack", std::string("segq")}}), UnsupportedError);
  EXPECT_EQ(run_method("luna", in, false, 0, {.rank = 8}).params.get_string("pack"), "segq");
}

TEST(LunaCausal, TrackedPeakMatchesEstimate) {
  const Inputs in = make_inputs({1, 2, 4096, 64}, 57, 0.5);
  const MethodRun run = run_method("luna", in, true, 0, {.rank = 128});
  const double peak = static_cast<double>(run.peak_bytes);
  EXPECT_LE(std::abs(peak - run.estimate_bytes), 0.1 * run.estimate_bytes + 64 * 1024)
      << "peak " << peak << " estimate " << run.estimate_bytes << "; " << run.replay;
}

TEST(LowRankMemory, TrackedPeakMatchesEstimate) {
  constexpr int64_t kN = 4096;
  const Inputs in = make_inputs({1, 2, kN, 64}, 55, 0.5);
  const std::vector<std::pair<std::string, Params>> cases = {
      {"linformer", {}}, {"linformer", {{"projection", std::string("gaussian")}}}, {"luna", {}},
      {"contextpool", {}}, {"cur", {}}, {"sms-nystrom", {}}};
  for (const auto& [name, params] : cases) {
    const MethodRun run = run_method(name, in, false, 0, {.rank = 128}, params);
    const double peak = static_cast<double>(run.peak_bytes);
    EXPECT_LE(std::abs(peak - run.estimate_bytes), 0.1 * run.estimate_bytes + 64 * 1024)
        << "peak " << peak << " estimate " << run.estimate_bytes << "; " << run.replay;
    if (MethodRegistry::instance().find(name)->subquadratic) EXPECT_LT(peak, double(kN) * kN * 4) << run.replay;
  }
}

}  // namespace
}  // namespace attn::test
