// Luna's causal nested attention (kernel.md card 5, sanity tests 3): the chunked scan equals the
// official per-token recurrence for any chunk size, the future never leaks into the past, and the
// first token's output is a scalar multiple (not a convex combination) of v_1.
#include <cmath>

#include <gtest/gtest.h>

#include "ops/nested_causal_attention.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

// The official recurrence token by token in fp64: A[i, j] = elu(scale k_i . p_j) + 1,
// logits_t[j] = (scale / t) sum_{i<=t} (q_t . k_i) A[i, j], out_t = (1/t) sum_{i<=t} (w_t . A_i) v_i.
std::vector<double> recurrence(const NestedCausalShape& s, double scale, const std::vector<double>& p,
                               const std::vector<double>& q, const std::vector<double>& k,
                               const std::vector<double>& v) {
  const int64_t n = s.seq_len, d = s.head_dim, dv = s.value_dim, l = s.pack_len;
  std::vector<double> out(static_cast<std::size_t>(s.batch * n * dv), 0.0);
  for (int64_t b = 0; b < s.batch; ++b) {
    const double* pb = p.data() + b * s.pack_stride;
    std::vector<double> a(static_cast<std::size_t>(n * l));
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < l; ++j) {
        double x = 0;
        for (int64_t c = 0; c < d; ++c) x += k[(b * n + i) * d + c] * pb[j * d + c];
        x *= scale;
        a[i * l + j] = x > 0 ? x + 1 : std::exp(x);
      }
    }
    for (int64_t t = 0; t < n; ++t) {
      std::vector<double> logits(static_cast<std::size_t>(l), 0.0);
      for (int64_t i = 0; i <= t; ++i) {
        double qk = 0;
        for (int64_t c = 0; c < d; ++c) qk += q[(b * n + t) * d + c] * k[(b * n + i) * d + c];
        for (int64_t j = 0; j < l; ++j) logits[j] += qk * a[i * l + j];
      }
      double mx = -1e300, sum = 0;
      for (auto& x : logits) mx = std::max(mx, x *= scale / static_cast<double>(t + 1));
      for (auto& x : logits) sum += (x = std::exp(x - mx));
      for (auto& x : logits) x /= sum;
      for (int64_t i = 0; i <= t; ++i) {
        double wa = 0;
        for (int64_t j = 0; j < l; ++j) wa += logits[j] * a[i * l + j];
        for (int64_t c = 0; c < dv; ++c)
          out[(b * n + t) * dv + c] += wa * v[(b * n + i) * dv + c] / static_cast<double>(t + 1);
      }
    }
  }
  return out;
}

struct Inputs {
  std::vector<double> p, q, k, v;
};

Inputs make_inputs(const NestedCausalShape& s, uint64_t seed) {
  const int64_t heads_p = s.pack_stride == 0 ? 1 : s.batch;
  return {testing::normal_vector<double>(heads_p * s.pack_len * s.head_dim, seed, "p"),
          testing::normal_vector<double>(s.batch * s.seq_len * s.head_dim, seed, "q"),
          testing::normal_vector<double>(s.batch * s.seq_len * s.head_dim, seed, "k"),
          testing::normal_vector<double>(s.batch * s.seq_len * s.value_dim, seed, "v")};
}

template <class T>
std::vector<T> run(const testing::CpuCase& cc, const NestedCausalShape& s, double scale, const Inputs& in) {
  const std::vector<T> p(in.p.begin(), in.p.end()), q(in.q.begin(), in.q.end()), k(in.k.begin(), in.k.end()),
      v(in.v.begin(), in.v.end());
  std::vector<T> out(v.size());
  nested_causal_attention<T>(cc.ctx, s, static_cast<T>(scale), p.data(), q.data(), k.data(), v.data(), out.data());
  return out;
}

TEST(OpsNestedCausalAttention, ChunkedScanEqualsRecurrence) {
  for (int threads : {1, 2}) {
    testing::CpuCase cc(threads);
    for (int64_t n : {1, 7, 97, 130}) {
      for (int64_t chunk : {1, 16, 64}) {
        for (int64_t stride : {0, 1}) {
          NestedCausalShape s{.batch = 3, .seq_len = n, .head_dim = 8, .value_dim = 5, .pack_len = 6, .chunk = chunk};
          s.pack_stride = stride * s.pack_len * s.head_dim;
          const double scale = 1.0 / std::sqrt(8.0);
          const auto in = make_inputs(s, 11);
          const auto ref = recurrence(s, scale, in.p, in.q, in.k, in.v);
          EXPECT_LT(testing::rel_fro(run<double>(cc, s, scale, in), ref), 1e-12)
              << "n=" << n << " chunk=" << chunk << " stride=" << stride << " threads=" << threads;
          EXPECT_LT(testing::rel_fro(run<float>(cc, s, scale, in), ref), 2e-6)
              << "n=" << n << " chunk=" << chunk << " stride=" << stride << " threads=" << threads;
        }
      }
    }
  }
}

TEST(OpsNestedCausalAttention, FutureTokensDoNotChangeThePast) {
  testing::CpuCase cc(2);
  const NestedCausalShape s{.batch = 2, .seq_len = 97, .head_dim = 8, .value_dim = 8, .pack_len = 4, .chunk = 16};
  const double scale = 1.0 / std::sqrt(8.0);
  const auto in = make_inputs(s, 5);
  auto changed = in;
  const int64_t cut = 40;  // perturb every token from `cut` on, in both heads
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t i = cut; i < s.seq_len; ++i) {
      for (int64_t c = 0; c < s.head_dim; ++c) {
        changed.q[(b * s.seq_len + i) * s.head_dim + c] += 3.0;
        changed.k[(b * s.seq_len + i) * s.head_dim + c] -= 2.0;
        changed.v[(b * s.seq_len + i) * s.value_dim + c] *= -5.0;
      }
    }
  }
  const auto a = run<double>(cc, s, scale, in), b = run<double>(cc, s, scale, changed);
  double past = 0, future = 0;
  for (int64_t h = 0; h < s.batch; ++h) {
    for (int64_t i = 0; i < s.seq_len; ++i) {
      for (int64_t c = 0; c < s.value_dim; ++c) {
        const std::size_t at = static_cast<std::size_t>((h * s.seq_len + i) * s.value_dim + c);
        (i < cut ? past : future) += std::abs(a[at] - b[at]);
      }
    }
  }
  EXPECT_EQ(past, 0.0);
  EXPECT_GT(future, 1.0);  // the perturbation is visible from `cut` on, so the check can fail
}

TEST(OpsNestedCausalAttention, FirstTokenIsAScaledValueNotAConvexCombination) {
  testing::CpuCase cc(1);
  const NestedCausalShape s{.batch = 1, .seq_len = 5, .head_dim = 4, .value_dim = 3, .pack_len = 3, .chunk = 2};
  const double scale = 0.5;
  const auto in = make_inputs(s, 8);
  const auto out = run<double>(cc, s, scale, in);
  // out_1 = c v_1 with c = sum_j softmax_j(scale (q_1 . k_1) A[1, j]) A[1, j].
  double qk = 0;
  std::vector<double> a(3), w(3);
  for (int64_t c = 0; c < 4; ++c) qk += in.q[c] * in.k[c];
  double mx = -1e300, sum = 0, coef = 0;
  for (int64_t j = 0; j < 3; ++j) {
    double x = 0;
    for (int64_t c = 0; c < 4; ++c) x += in.k[c] * in.p[j * 4 + c];
    x *= scale;
    a[j] = x > 0 ? x + 1 : std::exp(x);
    w[j] = scale * qk * a[j];
    mx = std::max(mx, w[j]);
  }
  for (auto& x : w) sum += (x = std::exp(x - mx));
  for (int64_t j = 0; j < 3; ++j) coef += w[j] / sum * a[j];
  for (int64_t c = 0; c < 3; ++c) EXPECT_NEAR(out[c], coef * in.v[c], 1e-12);
  EXPECT_GT(std::abs(coef - 1.0), 1e-3);  // these inputs make the count normalisation visible
}

}  // namespace
}  // namespace attn::ops
