// sparse-lowrank-oracle and its ops (lowrank.md card 5): IALM recovers a planted low-rank + sparse
// matrix; GoDec at every tried budget is no worse than low-rank-only and sparse-only; the method's
// output is (L + S) V and its rpca analysis reports a lambda frontier.
#include <gtest/gtest.h>

#include "core/rng.hpp"
#include "ops/attention_matrix.hpp"
#include "ops/gemm.hpp"
#include "ops/sparse_lowrank.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {

struct Fixture {
  Workspace ws{Device::cpu};
  Context ctx{.device = Device::cpu, .workspace = &ws, .threads = 2};
};

double rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

TEST(SparseLowRank, IalmRecoversAPlantedDecomposition) {
  // Candes' regime: rank 0.05 n, 5% random support with random signs.
  Fixture f;
  const int64_t n = 200, r = 10;
  std::vector<double> x(n * r), y(n * r), l0(n * n), s0(n * n, 0.0), m(n * n), l(n * n), s(n * n);
  const Rng rng(4, "test/rpca", "planted");
  rng.derive("x").fill_normal(x.data(), n * r);
  rng.derive("y").fill_normal(y.data(), n * r);
  for (auto& v : x) v /= std::sqrt(double(n));
  for (auto& v : y) v /= std::sqrt(double(n));
  ops::gemm<double>(f.ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::yes, n, n, r), 1.0, x.data(), y.data(), 0.0,
                    l0.data());
  const Rng support = rng.derive("support");
  for (int64_t i = 0; i < n * n; ++i)
    if (support.uniform(2 * uint64_t(i)) < 0.05) s0[i] = support.uniform(2 * uint64_t(i) + 1) < 0.5 ? -1.0 : 1.0;
  for (int64_t i = 0; i < n * n; ++i) m[i] = l0[i] + s0[i];
  const auto res = ops::rpca_ialm(f.ctx, n, n, 1.0 / std::sqrt(double(n)), 1e-7, 1000, m.data(), l.data(), s.data());
  EXPECT_LT(res.residual, 1e-7);
  EXPECT_LT(res.iterations, 100);
  EXPECT_LT(rel_diff(l, l0), 1e-5);
  int64_t wrong = 0;
  for (int64_t i = 0; i < n * n; ++i) wrong += (std::abs(s[i]) > 1e-3) != (s0[i] != 0);
  EXPECT_EQ(wrong, 0);
  // GoDec at the true budget is a nonconvex local method (no recovery guarantee), but it must do
  // far better than either part alone.
  int64_t k = 0;
  for (double v : s0) k += v != 0;
  const auto g = ops::godec(f.ctx, n, n, r, k, 50, 1e-12, m.data(), l.data(), s.data());
  EXPECT_LT(g.rel_fro, 0.5 * std::min(g.lowrank_only, g.sparse_only))
      << g.rel_fro << " " << g.lowrank_only << " " << g.sparse_only;
}

TEST(SparseLowRank, GodecBeatsEitherPartAloneAtEveryBudget) {
  Fixture f;
  const int64_t n = 128;
  for (double scale : {1.0, 2.0}) {
    const Inputs in = make_inputs({1, 1, n, 32}, 12, scale, true);
    std::vector<double> a(n * n), l(n * n), s(n * n);
    ops::attention_matrix<double>(f.ctx, {.batch = 1, .n = n, .d = 32}, in.q.data(), in.k.data(), a.data());
    for (int64_t r : {2, 8, 32})
      for (double rho : {0.01, 0.05, 0.2}) {
        const int64_t k = int64_t(rho * n * n);
        const auto g = ops::godec(f.ctx, n, n, r, k, 20, 1e-8, a.data(), l.data(), s.data());
        EXPECT_LE(g.rel_fro, g.lowrank_only + 1e-12) << r << " " << rho;
        EXPECT_LE(g.rel_fro, g.sparse_only + 1e-12) << r << " " << rho;
        // The returned parts realize the reported error and respect the budget.
        std::vector<double> sum(a.size());
        int64_t nnz = 0;
        for (int64_t i = 0; i < n * n; ++i) {
          sum[i] = l[i] + s[i];
          nnz += s[i] != 0;
        }
        EXPECT_NEAR(rel_diff(sum, a), g.rel_fro, 1e-9);
        EXPECT_LE(nnz, k);
      }
  }
}

TEST(SparseLowRankOracle, OutputIsTheDecompositionTimesV) {
  const Inputs in = make_inputs({1, 2, 64, 16}, 3, 1.0, true);
  const auto exact = naive_attention<double>(in, {});
  const MethodRun tight = run_method("sparse-lowrank-oracle", in, false, 0, {.rank = 4, .sparsity = 0.95});
  const MethodRun full = run_method("sparse-lowrank-oracle", in, false, 0, {.rank = 64, .sparsity = 0.0});
  EXPECT_NEAR(*tight.realized.density, 0.05, 1.0 / (64 * 64));
  EXPECT_LT(rel_fro(full.out, exact, 16), 1e-6) << full.replay;
  EXPECT_GT(rel_fro(tight.out, exact, 16), 1e-4) << tight.replay;
  EXPECT_LT(rel_fro(tight.out, exact, 16), 0.5) << tight.replay;
  EXPECT_LE(std::abs(double(tight.peak_bytes) - tight.estimate_bytes), 0.1 * tight.estimate_bytes + 64 * 1024)
      << tight.peak_bytes << " vs " << tight.estimate_bytes;
}

}  // namespace
}  // namespace attn::test
