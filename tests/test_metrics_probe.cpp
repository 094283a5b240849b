// Attention-matrix metrics: probing `exact` recovers softmax(QK^T/sqrt d); probing `local` gives
// exactly the card's sliding-window / block pattern; the metrics and the oracle bound agree with
// closed forms.
#include <gtest/gtest.h>

#include "metrics/attention_probe.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {

struct Probe {
  std::vector<float> a;
  AttentionMatrixMetrics metrics;
  Realized realized;
};

Probe probe(const std::string& name, const Inputs& in, bool causal, Budget budget = {},
            std::vector<std::pair<std::string, ParamValue>> params = {}) {
  const MethodInfo* info = MethodRegistry::instance().find(name);
  const CaseShape cs{in.shape.batch, in.shape.heads, in.shape.seq_len, in.shape.head_dim, causal};
  Probe p;
  const ParamSet ps = resolve_params(*info, budget, cs, params, p.realized);
  Workspace ws(Device::cpu);
  Context ctx{.device = Device::cpu, .workspace = &ws, .threads = 2};
  auto m = info->create({.shape = cs, .params = ps, .seed = 1, .rng_key = "test/" + name});
  m->prepare(ctx);
  p.a = probe_attention_matrix(ctx, *m, cs, in.q.data(), in.k.data());
  p.metrics = attention_matrix_metrics(p.a, cs, in.q.data(), in.k.data(), 2);
  return p;
}

TEST(AttentionProbe, ExactEqualsSoftmax) {
  for (bool causal : {false, true}) {
    const Inputs in = make_inputs({1, 2, 97, 32}, 3);  // 97 = 3 full chunks of 32 and a partial one
    const Probe p = probe("exact", in, causal);
    const CaseShape cs{1, 2, 97, 32, causal};
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 97; ++i) {
        // Row i of A by plain fp64 loops.
        std::vector<double> row(97);
        double mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j <= (causal ? i : 96); ++j) {
          double s = 0;
          for (int64_t c = 0; c < 32; ++c) s += double(in.q[(h * 97 + i) * 32 + c]) * in.k[(h * 97 + j) * 32 + c];
          row[j] = s / std::sqrt(32.0);
          mx = std::max(mx, row[j]);
        }
        for (int64_t j = 0; j < 97; ++j) sum += row[j] = j <= (causal ? i : 96) ? std::exp(row[j] - mx) : 0.0;
        for (int64_t j = 0; j < 97; ++j) ASSERT_NEAR(p.a[(h * 97 + i) * 97 + j], row[j] / sum, 1e-6);
      }
    EXPECT_LT(p.metrics.rel_fro, 1e-6);
    EXPECT_LT(p.metrics.rel_spec, 1e-6);
    EXPECT_LT(p.metrics.row_sum_dev, 1e-5);
    ASSERT_TRUE(p.metrics.row_kl.has_value());
    EXPECT_LT(std::abs(*p.metrics.row_kl), 1e-7);
    (void)cs;
  }
}

TEST(AttentionProbe, LocalHasExactlyTheCardsPattern) {
  const Inputs in = make_inputs({1, 1, 130, 16}, 4);
  for (const auto& [variant, param, value] : {std::tuple{"sliding", "window", int64_t{7}},
                                              std::tuple{"blocks", "block", int64_t{32}}}) {
    const Probe p = probe("local", in, false, {},
                          {{"variant", std::string(variant)}, {param, value}});
    for (int64_t i = 0; i < 130; ++i)
      for (int64_t j = 0; j < 130; ++j) {
        const bool allowed = std::string(variant) == "sliding" ? std::abs(i - j) <= value : i / value == j / value;
        if (allowed)
          EXPECT_GT(p.a[i * 130 + j], 0.0f) << variant << " " << i << "," << j;
        else
          EXPECT_EQ(p.a[i * 130 + j], 0.0f) << variant << " " << i << "," << j;
      }
    EXPECT_LT(p.metrics.row_sum_dev, 1e-5);
    ASSERT_TRUE(p.metrics.row_kl.has_value());  // renormalized rows are distributions
    EXPECT_GT(*p.metrics.row_kl, 0.0);
    EXPECT_GT(p.metrics.rel_fro, 0.01);
  }
}

TEST(AttentionProbe, MeanVIsUniformAndOracleBoundsHold) {
  const Inputs in = make_inputs({1, 1, 64, 16}, 6, 1.0, true);
  const Probe p = probe("mean-v", in, false);
  for (float x : p.a) ASSERT_NEAR(x, 1.0f / 64, 1e-6);
  // The svd oracle's probed matrix is its rank-r approximation: never better than Eckart-Young.
  const Probe o = probe("svd-oracle", in, false, {.rank = 8});
  const auto ey = oracle_rel_fro({1, 1, 64, 16, false}, in.q.data(), in.k.data(), o.realized, 2);
  ASSERT_TRUE(ey.has_value());
  EXPECT_EQ(ey->kind, "eckart_young");
  EXPECT_GE(o.metrics.rel_fro, ey->rel_fro * (1 - 1e-5));
  EXPECT_LT(o.metrics.rel_fro, ey->rel_fro * 1.05);
  const auto sparse = oracle_rel_fro({1, 1, 64, 16, false}, in.q.data(), in.k.data(), {.density = 0.1}, 2);
  const auto both = oracle_rel_fro({1, 1, 64, 16, false}, in.q.data(), in.k.data(), {.rank = 8, .density = 0.1}, 2);
  ASSERT_TRUE(sparse && both);
  EXPECT_EQ(both->kind, "godec");
  EXPECT_LE(both->rel_fro, std::min(sparse->rel_fro, ey->rel_fro) + 1e-12);
  EXPECT_FALSE(oracle_rel_fro({1, 1, 64, 16, false}, in.q.data(), in.k.data(), {}, 2).has_value());
}

TEST(AttentionProbe, OracleCacheReusesEachHeadsSpectrumForEveryRank) {
  const Inputs in = make_inputs({1, 2, 96, 16}, 7, 1.0, true);
  const CaseShape shape{1, 2, 96, 16, false};
  OracleCache cache;
  for (int64_t rank : {4, 16, 64, 96}) {
    const auto fresh = oracle_rel_fro(shape, in.q.data(), in.k.data(), {.rank = rank}, 2);
    const auto cached = oracle_rel_fro(shape, in.q.data(), in.k.data(), {.rank = rank}, 2, &cache);
    ASSERT_TRUE(fresh && cached);
    EXPECT_NEAR(cached->rel_fro, fresh->rel_fro, 1e-12) << "rank " << rank;
    ASSERT_NE(cache.find(1), nullptr);
  }
  EXPECT_EQ(cache.find(2), nullptr);
  // The cache is what the later calls read: a doctored spectrum changes their answer.
  OracleCache::Head doctored = *cache.find(0);
  for (double& s : doctored.sigma) s = 0;
  cache.store(0, doctored);
  cache.store(1, doctored);
  EXPECT_EQ(oracle_rel_fro(shape, in.q.data(), in.k.data(), {.rank = 4}, 2, &cache)->rel_fro, 0.0);
}

}  // namespace
}  // namespace attn
