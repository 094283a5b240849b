// Linear attention: causal equals tril(phi_q phi_k^T) V / rowsum for any chunk size, bidirectional
// equals (phi_q (phi_k^T V)) / (phi_q (phi_k^T 1)), and the denominator guard is counted.
#include <gtest/gtest.h>

#include "ops/linear_attention.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

// Materialized reference in fp64: the N x N kernel matrix, masked when causal, row-normalized.
std::vector<double> reference(const LinearAttentionShape& s, const std::vector<double>& pq,
                              const std::vector<double>& pk, const std::vector<double>& v) {
  const int64_t n = s.seq_len, m = s.features, dv = s.value_dim;
  std::vector<double> out(static_cast<std::size_t>(s.batch * n * dv), 0.0);
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t i = 0; i < n; ++i) {
      double den = 0;
      double* o = out.data() + (b * n + i) * dv;
      for (int64_t j = 0; j < (s.causal ? i + 1 : n); ++j) {
        double a = 0;
        for (int64_t f = 0; f < m; ++f) a += pq[(b * n + i) * m + f] * pk[(b * n + j) * m + f];
        den += a;
        for (int64_t c = 0; c < dv; ++c) o[c] += a * v[(b * n + j) * dv + c];
      }
      for (int64_t c = 0; c < dv; ++c) o[c] /= den;
    }
  }
  return out;
}

TEST(OpsLinearAttention, MatchesMaterializedForAnyChunk) {
  for (int threads : {1, 2}) {
    testing::CpuCase cc(threads);
    LinearAttentionShape s{.batch = 3, .seq_len = 97, .features = 12, .value_dim = 9};
    const auto pq = testing::uniform_vector<double>(s.batch * s.seq_len * s.features, 1, "q", 0.1, 1.0);
    const auto pk = testing::uniform_vector<double>(s.batch * s.seq_len * s.features, 2, "k", 0.1, 1.0);
    const auto v = testing::normal_vector<double>(s.batch * s.seq_len * s.value_dim, 3, "v");
    for (bool causal : {false, true}) {
      s.causal = causal;
      const auto expect = reference(s, pq, pk, v);
      for (int64_t chunk : {1, 7, 32, 97, 128, 500}) {
        s.chunk = chunk;
        std::vector<double> out(expect.size(), NAN);
        EXPECT_EQ(linear_attention<double>(cc.ctx, s, pq.data(), pk.data(), v.data(), out.data()), 0);
        EXPECT_LT(testing::max_abs_diff(out, expect), 1e-12) << "causal=" << causal << " chunk=" << chunk;
      }
      std::vector<float> pqf(pq.begin(), pq.end()), pkf(pk.begin(), pk.end()), vf(v.begin(), v.end());
      std::vector<float> outf(expect.size());
      s.chunk = 16;
      linear_attention<float>(cc.ctx, s, pqf.data(), pkf.data(), vf.data(), outf.data());
      EXPECT_LT(testing::rel_fro(outf, expect), 1e-5);
    }
  }
}

TEST(OpsLinearAttention, CausalIgnoresTheFuture) {
  testing::CpuCase cc(1);
  LinearAttentionShape s{.batch = 1, .seq_len = 50, .features = 8, .value_dim = 4, .causal = true, .chunk = 16};
  auto pq = testing::uniform_vector<double>(50 * 8, 1, "q", 0.1, 1.0);
  auto pk = testing::uniform_vector<double>(50 * 8, 2, "k", 0.1, 1.0);
  auto v = testing::normal_vector<double>(50 * 4, 3, "v");
  std::vector<double> a(50 * 4), b(50 * 4);
  linear_attention<double>(cc.ctx, s, pq.data(), pk.data(), v.data(), a.data());
  for (int64_t i = 30 * 8; i < 50 * 8; ++i) pk[i] *= 3.0;  // change keys and values after row 29
  for (int64_t i = 30 * 4; i < 50 * 4; ++i) v[i] += 1.0;
  linear_attention<double>(cc.ctx, s, pq.data(), pk.data(), v.data(), b.data());
  for (int64_t i = 0; i < 30 * 4; ++i) EXPECT_EQ(a[i], b[i]);
}

TEST(OpsLinearAttention, GuardCountsZeroDenominators) {
  testing::CpuCase cc(1);
  LinearAttentionShape s{.batch = 1, .seq_len = 10, .features = 4, .value_dim = 3};
  auto pq = testing::uniform_vector<double>(40, 1, "q", 0.1, 1.0);
  const auto pk = testing::uniform_vector<double>(40, 2, "k", 0.1, 1.0);
  const auto v = testing::normal_vector<double>(30, 3, "v");
  for (int64_t f = 0; f < 4; ++f) pq[2 * 4 + f] = 0.0;  // row 2: den = 0, guarded to 2 eps
  std::vector<double> out(30);
  EXPECT_EQ(linear_attention<double>(cc.ctx, s, pq.data(), pk.data(), v.data(), out.data()), 1);
  for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(out[2 * 3 + c], 0.0);  // numerator 0 over 2 eps
  EXPECT_EQ(cc.ws.peak_bytes(), linear_attention_scratch_bytes(s, sizeof(double), 1));
}

}  // namespace
}  // namespace attn::ops
