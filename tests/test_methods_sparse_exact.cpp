// Exactness tier for the sparse family (sparse.md cards 1c-5): each method at its exactness limit
// reproduces exact softmax within twice the plain fp32 error (+1e-7), and each structured method
// equals the masked softmax of its own mask; N in {64, 97, 256, 1025}, causal and not where the
// method supports it. Also: huge logits in masked positions leak no probability.
#include <gtest/gtest.h>

#include "ops/block_layout.hpp"
#include "support/masked_reference.hpp"

namespace attn::test {
namespace {

struct Case {
  int64_t n, d;
  bool causal;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (int64_t n : {64, 97, 256, 1025})
    for (bool causal : {false, true}) out.push_back({n, n == 97 ? 64 : 32, causal});
  return out;
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  return fmt::format("N{}_d{}_{}", info.param.n, info.param.d, info.param.causal ? "causal" : "full");
}

using Params = std::vector<std::pair<std::string, ParamValue>>;

// `name` with `params` against the fp64 masked softmax of `allows` (intersected with causal).
void expect_masked(const std::string& name, const Case& c, Allows allows, Params params, Budget budget = {},
                   const Inputs* given = nullptr) {
  const Inputs in = given != nullptr ? *given : make_inputs({1, 2, c.n, c.d}, 11);
  Allows full = [&](int64_t h, int64_t i, int64_t j) { return (!c.causal || j <= i) && allows(h, i, j); };
  const auto ref = masked_attention<double>(in, full);
  const auto plain = masked_attention<float>(in, full);
  const int64_t rows = in.shape.heads_total() * c.n;
  const double plain_err = compare_outputs(plain.data(), ref.data(), rows, c.d).rel_fro;
  const MethodRun run = run_method(name, in, c.causal, 3, budget, std::move(params));
  const auto e = compare_outputs(run.out.data(), ref.data(), rows, c.d);
  EXPECT_EQ(e.nonfinite, 0) << run.replay;
  EXPECT_LE(e.rel_fro, 2 * plain_err + 1e-7) << "plain fp32 error " << plain_err << "; " << run.replay;
}

const Allows kAll = [](int64_t, int64_t, int64_t) { return true; };

class SparseExact : public testing::TestWithParam<Case> {};

TEST_P(SparseExact, BlockSparseFlashAllBlocksIsExact) {
  const auto c = GetParam();
  expect_masked("block-sparse-flash", c, kAll, {{"layout", std::string("local")}, {"block", int64_t{16}}, {"arg", c.n}});
}

TEST_P(SparseExact, BlockSparseFlashEqualsItsLayout) {
  const auto c = GetParam();
  for (const char* kind : {"random", "strided", "butterfly"}) {
    const Params params = {{"layout", std::string(kind)}, {"block", int64_t{16}}, {"arg", int64_t{2}}};
    const ops::BlockLayout l =
        std::string(kind) == "random" ? ops::random_layout(c.n, 16, 2, 2, Rng(3, "test/block-sparse-flash", "block-sparse-flash/layout"))
        : std::string(kind) == "strided" ? ops::strided_layout(c.n, 16, 2)
                                         : ops::butterfly_layout(c.n, 16, 128, 2, 0);
    expect_masked("block-sparse-flash", c, [&](int64_t h, int64_t i, int64_t j) { return l.has(h, i / 16, j / 16); },
                  params);
  }
}

TEST_P(SparseExact, LocalBlockSlidingWindowEqualsItsMask) {
  const auto c = GetParam();
  for (int64_t b : {int64_t{20}, c.n}) {
    const int64_t e = std::max<int64_t>(b / 2, 1);
    expect_masked("local", c,
                  [&](int64_t, int64_t i, int64_t j) { return j >= i / b * b - e && j < i / b * b + b + e; },
                  {{"variant", std::string("block_sw")}, {"block", b}});
  }
}

TEST_P(SparseExact, LocalGlobalTokensEqualTheirMask) {
  const auto c = GetParam();
  if (c.causal) GTEST_SKIP() << "blocks_global is bidirectional";
  for (int64_t b : {int64_t{24}, c.n}) {
    const int64_t t = 3;
    auto global = [&](int64_t x) { return x % b < t; };
    expect_masked("local", c,
                  [&](int64_t, int64_t i, int64_t j) { return global(i) || global(j) || i / b == j / b; },
                  {{"variant", std::string("blocks_global")}, {"block", b}, {"global_tokens", t}});
  }
}

TEST_P(SparseExact, BigBirdCoveringEverythingIsExact) {
  const auto c = GetParam();
  if (c.causal) GTEST_SKIP() << "bigbird is bidirectional";
  const int64_t nb = (c.n + 15) / 16;
  expect_masked("bigbird", c, kAll, {{"block", int64_t{16}}, {"rand_blocks", std::max<int64_t>(0, nb - 4)}});
}

TEST_P(SparseExact, BigBirdEqualsItsLayout) {
  const auto c = GetParam();
  if (c.causal) GTEST_SKIP() << "bigbird is bidirectional";
  for (auto sampler : {ops::BigBirdSampler::uniform_legal, ops::BigBirdSampler::official_plan}) {
    const int64_t nb = (c.n + 15) / 16;
    if (nb < 5) continue;
    const ops::BlockLayout l =
        ops::bigbird_layout(c.n, 16, 2, 2, sampler, Rng(3, "test/bigbird", "bigbird/random"));
    const std::string name = sampler == ops::BigBirdSampler::uniform_legal ? "uniform_legal" : "official_plan";
    expect_masked("bigbird", c, [&](int64_t h, int64_t i, int64_t j) { return l.has(h, i / 16, j / 16); },
                  {{"block", int64_t{16}}, {"rand_blocks", int64_t{2}}, {"random_sampler", name}});
  }
}

TEST_P(SparseExact, MraAllBlocksIsExactInBothModes) {
  const auto c = GetParam();
  if (c.causal) GTEST_SKIP() << "mra is bidirectional";
  const int64_t nb = (c.n + 31) / 32;
  for (const char* mode : {"full", "sparse"})
    expect_masked("mra", c, kAll, {{"mode", std::string(mode)}, {"num_blocks", nb * nb}});
}

// Card 5 test 3: MRA-2-s with the diagonal prior and nb blocks is disjoint-block attention (b = 32).
TEST_P(SparseExact, MraSparseWithDiagonalPriorIsDisjointBlocks) {
  const auto c = GetParam();
  if (c.causal) GTEST_SKIP() << "mra is bidirectional";
  const int64_t nb = (c.n + 31) / 32;
  expect_masked("mra", c, [](int64_t, int64_t i, int64_t j) { return i / 32 == j / 32; },
                {{"mode", std::string("sparse")}, {"num_blocks", nb}, {"diag_prior", int64_t{1}}});
}

TEST_P(SparseExact, PixelflyFullLayoutRankZeroIsExact) {
  const auto c = GetParam();
  if (c.causal) GTEST_SKIP() << "pixelfly is bidirectional";
  expect_masked("pixelfly", c, kAll, {{"num_features", int64_t{0}}, {"global_tokens", c.n}, {"block", int64_t{16}}});
}

TEST_P(SparseExact, PixelflyRankZeroIsMaskedSoftmaxOnTheButterfly) {
  const auto c = GetParam();
  if (c.causal) GTEST_SKIP() << "pixelfly is bidirectional";
  const auto l = ops::butterfly_layout(c.n, 16, 128, 2, 0);
  expect_masked("pixelfly", c, [&](int64_t h, int64_t i, int64_t j) { return l.has(h, i / 16, j / 16); },
                {{"num_features", int64_t{0}}, {"factors", int64_t{2}}, {"block", int64_t{16}}});
}

TEST_P(SparseExact, ScatterbrainOneClusterRankZeroIsExact) {
  const auto c = GetParam();
  if (c.causal) GTEST_SKIP() << "scatterbrain is bidirectional";
  expect_masked("scatterbrain", c, kAll, {{"num_features", int64_t{0}}, {"chunk", c.n}});
}

INSTANTIATE_TEST_SUITE_P(AwkwardSizes, SparseExact, testing::ValuesIn(cases()), case_name);

// Card 5 test 2: with Q and K constant inside each 32-block, exp of the block-mean logit is the
// mean of the exps, so full mode is exact at any num_blocks (exercises the low-resolution term and
// rows that get no selected block), while sparse mode is not.
TEST(Mra, PiecewiseConstantInputsAreExactInFullMode) {
  for (int64_t n : {96, 256, 1000}) {
    Inputs in = make_inputs({1, 2, n, 32}, 19);
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t x = 0; x < 32; ++x) {
          const int64_t first = h * n * 32 + (i / 32 * 32) * 32 + x;
          in.q[h * n * 32 + i * 32 + x] = in.q[first];
          in.k[h * n * 32 + i * 32 + x] = in.k[first];
        }
    const auto ref = naive_attention<double>(in, {});
    const auto plain = naive_attention<float>(in, {});
    const double plain_err = compare_outputs(plain.data(), ref.data(), 2 * n, 32).rel_fro;
    const MethodRun full = run_method("mra", in, false, 0, {}, {{"num_blocks", int64_t{3}}});
    EXPECT_LE(rel_fro(full.out, ref, 32), 2 * plain_err + 1e-6) << full.replay;
    const MethodRun sparse = run_method("mra", in, false, 0, {}, {{"num_blocks", int64_t{3}}, {"mode", std::string("sparse")}});
    EXPECT_GT(rel_fro(sparse.out, ref, 32), 0.1) << sparse.replay;
  }
}

// Card 4 test 1: with the support covering everything the low-rank terms cancel; what remains is
// roundoff of the subtraction (the card's 1e-5), whatever the rank.
TEST(SparseLowRank, FullSupportCancelsTheLowRankTerm) {
  for (int64_t n : {97, 256}) {
    const Inputs in = make_inputs({1, 2, n, 32}, 13);
    const auto ref = naive_attention<double>(in, {});
    for (const auto& [name, params] : std::vector<std::pair<std::string, Params>>{
             {"pixelfly", {{"num_features", int64_t{32}}, {"global_tokens", n}, {"block", int64_t{16}}}},
             {"scatterbrain", {{"num_features", int64_t{32}}, {"chunk", n}}}}) {
      const MethodRun run = run_method(name, in, false, 2, {}, params);
      EXPECT_LT(rel_fro(run.out, ref, 32), 1e-5) << run.replay;
    }
  }
}

// Card 4 test 3 and the point of the combination: on a local input at a budget, adding the low-rank
// term to the butterfly support lowers the error (mean over 4 seeds), and more features help.
TEST(SparseLowRank, LowRankTermImprovesOnTheSupportAlone) {
  const Inputs in = make_inputs({1, 2, 256, 32}, 17, 0.5);
  const auto ref = naive_attention<double>(in, {});
  auto mean_err = [&](int64_t m) {
    double sum = 0;
    for (uint64_t seed = 0; seed < 4; ++seed)
      sum += rel_fro(run_method("pixelfly", in, false, seed, {},
                                {{"num_features", m}, {"factors", int64_t{1}}, {"block", int64_t{16}}}).out,
                     ref, 32);
    return sum / 4;
  };
  const double e0 = mean_err(0), e16 = mean_err(16), e256 = mean_err(256);
  EXPECT_LT(e256, e16) << e0 << " " << e16 << " " << e256;
  EXPECT_LT(e256, e0) << e0 << " " << e16 << " " << e256;
}

// Masked keys carry logits around 1e4 and values 1e6: any leaked mass (a finite -1e4 mask would
// leak e^0 = 1 per key) would swamp the output.
TEST(SparseMasking, HugeLogitsInMaskedPositionsGetProbabilityZero) {
  const Case c{97, 32, false};
  Inputs in = make_inputs({1, 1, c.n, c.d}, 5);
  const int64_t b = 16;
  for (int64_t j = 0; j < c.n; ++j) {
    if (j / b == 0) continue;  // keys of block 0 stay normal; the others attract block 0's queries
    for (int64_t x = 0; x < c.d; ++x) {
      in.k[j * c.d + x] = 1e3f * in.q[x];
      in.v[j * c.d + x] = 1e6f;
    }
  }
  auto diagonal = [&](int64_t, int64_t i, int64_t j) { return i / b == j / b; };
  const auto ref = masked_attention<double>(in, diagonal);
  for (const auto& [name, params] : std::vector<std::pair<std::string, Params>>{
           {"local", {{"variant", std::string("blocks")}, {"block", b}}},
           {"block-sparse-flash", {{"layout", std::string("local")}, {"block", b}, {"arg", int64_t{0}}}}}) {
    const MethodRun run = run_method(name, in, false, 0, {}, params);
    for (int64_t i = 0; i < b; ++i)
      for (int64_t x = 0; x < c.d; ++x)
        ASSERT_NEAR(run.out[i * c.d + x], ref[i * c.d + x], 1e-4) << run.replay;
  }
}

}  // namespace
}  // namespace attn::test
