// Budget, convergence and memory tiers for the sparse family: realized density equals each card's
// closed form (N not a multiple of the block included); YOSO converges to YOSO-E over seeds and
// YOSO-E matches a direct fp64 evaluation of its kernel; tracked peaks match the estimates and no
// method holds an N x N buffer at N = 4096.
#include <gtest/gtest.h>

#include <numbers>

#include "ops/block_layout.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {

using Params = std::vector<std::pair<std::string, ParamValue>>;

double realized_density(const std::string& name, int64_t n, Budget budget, Params params = {}, bool causal = false) {
  const MethodInfo* info = MethodRegistry::instance().find(name);
  Realized r;
  resolve_params(*info, budget, {1, 2, n, 64, causal}, params, r);
  return r.density.value();
}

// Card 3's block count with true extents: block nb-1 holds L tokens, all others b.
double bigbird_closed_form(int64_t n, int64_t b, int64_t r) {
  const int64_t nb = (n + b - 1) / b, last = n - (nb - 1) * b;
  double pairs = double(b) * n + double(last) * n;  // query blocks 0 and nb-1: every key
  for (int64_t i = 1; i <= nb - 2; ++i) {
    const int64_t keys = (i == 1 || i == nb - 2) ? 4 + r : 5 + r;  // includes block nb-1
    pairs += double(b) * (double(keys - 1) * b + last);
  }
  return pairs / (double(n) * n);
}

TEST(SparseDensity, BigBirdMatchesTheCardsClosedForm) {
  for (int64_t n : {1024, 4096, 1000, 3000, 777})
    for (double rho : {0.15, 0.25, 0.5}) {
      const int64_t nb = (n + 63) / 64;
      const int64_t r = std::clamp<int64_t>(std::llround((rho * nb * nb - 7.0 * nb + 12) / (nb - 2)), 0, nb - 5);
      EXPECT_NEAR(realized_density("bigbird", n, {.sparsity = 1 - rho}), bigbird_closed_form(n, 64, r), 1e-12)
          << "N=" << n << " rho=" << rho;
      if (n % 64 == 0)  // the card's own formula: (7 nb - 12 + r (nb - 2)) / nb^2
        EXPECT_NEAR(bigbird_closed_form(n, 64, r), double(7 * nb - 12 + r * (nb - 2)) / double(nb * nb), 1e-12);
    }
  EXPECT_NEAR(bigbird_closed_form(4096, 64, 3), 622.0 / 4096.0, 1e-12);  // the card's check value
}

TEST(SparseDensity, LocalVariantsMatchTheCardsClosedForms) {
  for (int64_t n : {1000, 1024, 777})
    for (double rho : {0.05, 0.125, 0.3}) {
      const Budget budget{.sparsity = 1 - rho};
      const double n2 = double(n) * n;
      const int64_t w = std::max<int64_t>(0, std::llround((rho * n - 1) / 2));  // A
      EXPECT_NEAR(realized_density("local", n, budget), (double(n) * (2 * w + 1) - double(w) * (w + 1)) / n2, 1e-12);
      EXPECT_NEAR(realized_density("local", n, budget, {}, true), (double(n) * (w + 1) - double(w) * (w + 1) / 2) / n2,
                  1e-12);
      const int64_t b = std::clamp<int64_t>(std::llround(rho * n), 1, n);  // B: q b^2 + r0^2
      EXPECT_NEAR(realized_density("local", n, budget, {{"variant", std::string("blocks")}}),
                  (double(n / b) * b * b + double(n % b) * (n % b)) / n2, 1e-12);
      const int64_t bd = std::clamp<int64_t>(std::llround(rho * n / 2), 1, n), e = std::max<int64_t>(bd / 2, 1);
      double nnz = 0;  // D: sum over blocks of |Qblock| |[t0 - e, t0 + b + e) & [0, N)|
      for (int64_t t0 = 0; t0 < n; t0 += bd)
        nnz += double(std::min(bd, n - t0)) * double(std::min(n, t0 + bd + e) - std::max<int64_t>(0, t0 - e));
      EXPECT_NEAR(realized_density("local", n, budget, {{"variant", std::string("block_sw")}}), nnz / n2, 1e-12);
      const int64_t t = 4;  // C: g N + (N - g) g + sum over non-global i of |block(i) \ G|
      int64_t g = 0;
      double own = 0;
      for (int64_t t0 = 0; t0 < n; t0 += b) {
        const int64_t size = std::min(b, n - t0), gl = std::min(t, size);
        g += gl;
        own += double(size - gl) * (size - gl);
      }
      if (t < b)
        EXPECT_NEAR(realized_density("local", n, budget, {{"variant", std::string("blocks_global")}, {"global_tokens", t}}),
                    (double(g) * n + double(n - g) * g + own) / n2, 1e-12);
    }
}

TEST(SparseDensity, BlockLayoutsMatchClosedForms) {
  for (int64_t n : {1024, 1000}) {
    const int64_t b = 64, nb = (n + b - 1) / b, last = n - (nb - 1) * b;
    for (double rho : {0.0625, 0.125, 0.25}) {
      const Budget budget{.sparsity = 1 - rho};
      // local band of radius w blocks: every (I, J) with |I - J| <= w, last block partial.
      const int64_t w = std::clamp<int64_t>(std::llround((rho * nb - 1) / 2), 0, nb - 1);
      double pairs = 0;
      for (int64_t i = 0; i < nb; ++i)
        for (int64_t j = std::max<int64_t>(0, i - w); j <= std::min(nb - 1, i + w); ++j)
          pairs += double(i == nb - 1 ? last : b) * double(j == nb - 1 ? last : b);
      EXPECT_NEAR(realized_density("block-sparse-flash", n, budget, {{"layout", std::string("local")}}),
                  pairs / (double(n) * n), 1e-12);
      // butterfly with nb a power of two: (1 + k) / nb.
      if (n % b == 0) {
        const int64_t k = std::clamp<int64_t>(std::llround(rho * nb - 1), 1, 4);
        EXPECT_NEAR(realized_density("block-sparse-flash", n, budget, {{"layout", std::string("butterfly")}}),
                    double(1 + k) / nb, 1e-12);
        EXPECT_NEAR(realized_density("pixelfly", n, budget, {{"block", b}}), double(1 + k) / nb, 1e-12);
        // random: per_row = round(rho nb) blocks in every row.
        EXPECT_NEAR(realized_density("block-sparse-flash", n, budget),
                    double(std::clamp<int64_t>(std::llround(rho * nb), 1, nb)) / nb, 1e-12);
        // MRA: num_blocks 32^2 / N^2.
        const int64_t nb32 = n / 32, sel = std::clamp<int64_t>(std::llround(rho * nb32 * nb32), 1, nb32 * nb32);
        EXPECT_NEAR(realized_density("mra", n, budget), double(sel) * 1024 / (double(n) * n), 1e-12);
      }
      // scatterbrain: equal chunks c = round(rho N): q c^2 + r0^2.
      const int64_t c = std::clamp<int64_t>(std::llround(rho * n), 1, n);
      EXPECT_NEAR(realized_density("scatterbrain", n, budget), (double(n / c) * c * c + double(n % c) * (n % c)) /
                                                                     (double(n) * n), 1e-12);
    }
  }
}

TEST(SparseDensity, BigBirdUniformSamplerNeverRepeatsABlock) {
  const auto l = ops::bigbird_layout(2048, 64, 4, 3, ops::BigBirdSampler::uniform_legal, Rng(1, "t", "bigbird"));
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t i = 2; i < l.blocks - 2; ++i) {
      EXPECT_EQ(l.row_ptr[h * l.blocks + i + 1] - l.row_ptr[h * l.blocks + i], 8) << h << " " << i;  // 5 + r
      EXPECT_TRUE(l.has(h, i, 0) && l.has(h, i, l.blocks - 1));
    }
  // The official pools draw random blocks from the first 1024 tokens at N = 2048 (card 3).
  const auto o = ops::bigbird_layout(2048, 64, 1, 3, ops::BigBirdSampler::official_plan, Rng(1, "t", "bigbird"));
  for (int64_t i = 4; i < o.blocks - 4; ++i)
    for (int64_t e = o.row_ptr[i]; e < o.row_ptr[i + 1]; ++e) {
      const int64_t j = o.col_idx[e];
      EXPECT_TRUE(j == 0 || j == o.blocks - 1 || std::abs(j - i) <= 1 || j <= 15) << i << " " << j;
    }
}

// YOSO-E against (1 - theta/pi)^tau evaluated directly in fp64, then L2-normalized.
TEST(Yoso, ExpectationMatchesDirectKernelEvaluation) {
  const int64_t n = 97, d = 32;
  const Inputs in = make_inputs({1, 2, n, d}, 23);
  for (int64_t tau : {1, 9}) {
    const MethodRun run = run_method("yoso-e", in, false, 0, {}, {{"bits", tau}});
    double worst = 0;
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < n; ++i) {
        std::vector<double> y(d, 0.0);
        const float* q = in.q.data() + (h * n + i) * d;
        for (int64_t j = 0; j < n; ++j) {
          const float* k = in.k.data() + (h * n + j) * d;
          double dot = 0, qq = 0, kk = 0;
          for (int64_t c = 0; c < d; ++c) dot += double(q[c]) * k[c], qq += double(q[c]) * q[c], kk += double(k[c]) * k[c];
          const double b = std::pow(1 - std::acos(std::clamp(dot / std::sqrt(qq * kk), -1.0, 1.0)) / std::numbers::pi,
                                    double(tau));
          for (int64_t c = 0; c < d; ++c) y[c] += b * in.v[(h * n + j) * d + c];
        }
        double norm = 0;
        for (double x : y) norm += x * x;
        norm = std::sqrt(norm);
        for (int64_t c = 0; c < d; ++c)
          worst = std::max(worst, std::abs(y[c] / norm - double(run.out[(h * n + i) * d + c])));
      }
    EXPECT_LT(worst, 1e-6) << "tau=" << tau << "; " << run.replay;
  }
}

TEST(Yoso, SampledEstimateConvergesToTheExpectation) {
  const Inputs in = make_inputs({1, 2, 256, 32}, 29);
  const Params tau = {{"bits", int64_t{4}}};
  const auto own = run_method("yoso-e", in, false, 0, {}, tau).out;
  const std::vector<double> ref(own.begin(), own.end());
  auto mean_err = [&](int64_t m) {
    double sum = 0;
    for (uint64_t seed = 0; seed < 4; ++seed) sum += rel_fro(run_method("yoso", in, false, seed, {.rank = m}, tau).out, ref, 32);
    return sum / 4;
  };
  const double e4 = mean_err(4), e64 = mean_err(64);
  EXPECT_LT(e64, 0.5 * e4) << "m=4: " << e4 << ", m=64: " << e64;
  const MethodRun one = run_method("yoso", in, false, 0, {.rank = 8}, tau);  // card test 4: unit rows
  for (int64_t r = 0; r < 2 * 256; ++r) {
    double sq = 0;
    for (int64_t c = 0; c < 32; ++c) sq += double(one.out[r * 32 + c]) * one.out[r * 32 + c];
    ASSERT_NEAR(sq, 1.0, 1e-5) << one.replay;
  }
}

struct MemoryCase {
  std::string method;
  Budget budget;
  Params params;
  bool causal = false;
};

TEST(SparseMemoryModel, TrackedPeakMatchesEstimateAndNoNSquaredBuffer) {
  constexpr int64_t kN = 4096;
  const Inputs in = make_inputs({1, 2, kN, 64}, 31, 0.5);
  const std::vector<MemoryCase> cases = {
      {"block-sparse-flash", {.sparsity = 0.875}, {}},
      {"block-sparse-flash", {.sparsity = 0.9}, {{"layout", std::string("bigbird")}}, true},
      {"bigbird", {.sparsity = 0.9}, {}},
      {"bigbird", {}, {{"random_sampler", std::string("official_plan")}}},
      {"local", {.sparsity = 0.9}, {{"variant", std::string("block_sw")}}, true},
      {"local", {.sparsity = 0.9}, {{"variant", std::string("blocks_global")}}},
      {"mra", {.sparsity = 0.95}, {}},
      {"mra", {.sparsity = 0.95}, {{"mode", std::string("sparse")}}},
      {"yoso", {.rank = 32}, {}},
      {"yoso-e", {}, {}},
      {"pixelfly", {.rank = 64, .sparsity = 0.9}, {}},
      {"scatterbrain", {.rank = 64, .sparsity = 0.95}, {}},
  };
  for (const auto& c : cases) {
    const MethodRun run = run_method(c.method, in, c.causal, 0, c.budget, c.params);
    const double peak = static_cast<double>(run.peak_bytes);
    EXPECT_LE(std::abs(peak - run.estimate_bytes), 0.1 * run.estimate_bytes + 64 * 1024)
        << "peak " << peak << " estimate " << run.estimate_bytes << "; " << run.replay;
    EXPECT_TRUE(MethodRegistry::instance().find(c.method)->subquadratic) << c.method;
    EXPECT_LT(peak, double(kN) * kN * 4) << run.replay;
  }
}

}  // namespace
}  // namespace attn::test
