// The exactness tier of the method suite (STYLE.md): methods at their exactness limit reproduce
// exact softmax attention within twice the error of a plain fp32 implementation (+1e-7), on
// awkward sizes, causal and not; a NaN-prefilled output catches unwritten elements.
#include <gtest/gtest.h>

#include "support/method_harness.hpp"

namespace attn::test {
namespace {

struct ExactCase {
  int64_t n, d;
  bool causal;
};

std::vector<ExactCase> exact_cases() {
  std::vector<ExactCase> out;
  for (int64_t n : {64, 97, 256, 1025})
    for (int64_t d : {32, 64})
      for (bool causal : {false, true}) out.push_back({n, d, causal});
  return out;
}

std::string case_name(const testing::TestParamInfo<ExactCase>& info) {
  return fmt::format("N{}_d{}_{}", info.param.n, info.param.d, info.param.causal ? "causal" : "full");
}

// Checks `name` (with params) against the fp64 reference of `mask` within the plain-fp32 rule.
void expect_exact(const std::string& name, const ExactCase& c, const ops::AttentionMask& mask,
                  std::vector<std::pair<std::string, ParamValue>> params = {}, Budget budget = {}) {
  const Inputs in = make_inputs({1, 2, c.n, c.d}, 7);
  const auto ref = naive_attention<double>(in, mask);
  const auto plain = naive_attention<float>(in, mask);
  const double plain_err = compare_outputs(plain.data(), ref.data(), 2 * c.n, c.d).rel_fro;
  const MethodRun run = run_method(name, in, c.causal, 1, budget, std::move(params));
  const auto e = compare_outputs(run.out.data(), ref.data(), 2 * c.n, c.d);
  EXPECT_EQ(e.nonfinite, 0) << run.replay;
  EXPECT_LE(e.rel_fro, 2 * plain_err + 1e-7) << "plain fp32 error " << plain_err << "; " << run.replay;
}

class ExactMethods : public testing::TestWithParam<ExactCase> {};

TEST_P(ExactMethods, ExactMatchesFp64Reference) {
  expect_exact("exact", GetParam(), {.causal = GetParam().causal});
}

TEST_P(ExactMethods, FlashMatchesFp64Reference) {
  expect_exact("flash", GetParam(), {.causal = GetParam().causal});
}

TEST_P(ExactMethods, FlashWithSmallOddTilesMatches) {
  expect_exact("flash", GetParam(), {.causal = GetParam().causal}, {{"block_q", int64_t{16}}, {"block_k", int64_t{48}}});
}

TEST_P(ExactMethods, LocalWindowCoveringEverythingIsExact) {
  const auto c = GetParam();
  expect_exact("local", c, {.causal = c.causal}, {{"window", c.n - 1}});
}

TEST_P(ExactMethods, LocalBlockCoveringEverythingIsExact) {
  const auto c = GetParam();
  expect_exact("local", c, {.causal = c.causal}, {{"variant", std::string("blocks")}, {"block", c.n}});
}

TEST_P(ExactMethods, LocalSlidingEqualsMaskedSoftmax) {
  const auto c = GetParam();
  expect_exact("local", c, {.causal = c.causal, .window = 9}, {{"window", int64_t{9}}});
}

TEST_P(ExactMethods, LocalBlocksEqualsMaskedSoftmax) {
  const auto c = GetParam();
  expect_exact("local", c, {.causal = c.causal, .block = 40}, {{"variant", std::string("blocks")}, {"block", int64_t{40}}});
}

INSTANTIATE_TEST_SUITE_P(AwkwardSizes, ExactMethods, testing::ValuesIn(exact_cases()), case_name);

TEST(Nystrom, FullLandmarksShortCircuitIsExact) {
  for (int64_t n : {64, 97, 256}) {
    const Inputs in = make_inputs({1, 2, n, 32}, 3);
    const auto ref = naive_attention<double>(in, {});
    const MethodRun run = run_method("nystrom", in, false, 1, {.rank = n});
    EXPECT_LT(rel_fro(run.out, ref, 32), 1e-4) << run.replay;
  }
}

TEST(Nystrom, FullLandmarksWithConvergedPinvIsExact) {
  // Without the short-circuit, m = N landmarks give F = W = B = A, and A A^+ A V = A V once the
  // pseudo-inverse has converged (6 iterations are not enough; lowrank.md card 1, test 1).
  const Inputs in = make_inputs({1, 1, 64, 32}, 5, 1.0, /*smooth=*/true);
  const auto ref = naive_attention<double>(in, {});
  const MethodRun six = run_method("nystrom", in, false, 1, {.rank = 64}, {{"exact_when_full", false}});
  const MethodRun many = run_method("nystrom", in, false, 1, {.rank = 64},
                                    {{"exact_when_full", false}, {"pinv_iters", int64_t{60}}, {"init", std::string("exact")}});
  EXPECT_LT(rel_fro(many.out, ref, 32), 1e-3) << many.replay;
  EXPECT_LT(rel_fro(many.out, ref, 32), rel_fro(six.out, ref, 32)) << six.replay;
}

TEST(MeanV, IsExactForConstantScoresAndPrefixMeanWhenCausal) {
  Inputs in = make_inputs({1, 1, 50, 16}, 2);
  std::fill(in.q.begin(), in.q.end(), 0.0f);  // all scores 0: uniform attention
  for (bool causal : {false, true}) {
    const auto ref = naive_attention<double>(in, {.causal = causal});
    const MethodRun run = run_method("mean-v", in, causal, 0);
    EXPECT_LT(rel_fro(run.out, ref, 16), 1e-6) << run.replay;
  }
}

}  // namespace
}  // namespace attn::test
