// Tiled exact attention against a materialized fp64 reference, on awkward sizes, causal or not, with
// window and block masks. FlashAttention's rule sets the tolerance: the fp32 kernel's max error may
// be at most twice that of a plain fp32 implementation (+1e-7).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ops/flash_attention.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::CpuCase;

// Plain row-by-row softmax attention in T (max-subtracted), also returning the row LSE.
template <class T>
std::vector<T> naive(const FlashShape& s, double scale, const std::vector<T>& q, const std::vector<T>& k,
                     const std::vector<T>& v, std::vector<double>* lse = nullptr) {
  const int64_t n = s.seq_len, d = s.head_dim;
  std::vector<T> out(q.size(), T(0)), p(static_cast<std::size_t>(n));
  if (lse) lse->assign(static_cast<std::size_t>(s.batch * n), 0.0);
  for (int64_t b = 0; b < s.batch; ++b) {
    const T *qb = q.data() + b * n * d, *kb = k.data() + b * n * d, *vb = v.data() + b * n * d;
    for (int64_t i = 0; i < n; ++i) {
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < n; ++j) {
        if (!s.mask.allows(i, j)) continue;
        T dot = 0;
        for (int64_t c = 0; c < d; ++c) dot += qb[i * d + c] * kb[j * d + c];
        p[j] = T(scale) * dot;
        m = std::max(m, p[j]);
      }
      T sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        p[j] = s.mask.allows(i, j) ? std::exp(p[j] - m) : T(0);
        sum += p[j];
      }
      T* o = out.data() + (b * n + i) * d;
      for (int64_t j = 0; j < n; ++j) {
        if (p[j] == T(0)) continue;
        for (int64_t c = 0; c < d; ++c) o[c] += p[j] * vb[j * d + c];
      }
      for (int64_t c = 0; c < d; ++c) o[c] /= sum;
      if (lse) (*lse)[b * n + i] = double(m) + std::log(double(sum));
    }
  }
  return out;
}

struct Inputs {
  std::vector<float> q, k, v;
  std::vector<double> q64, k64, v64;
};

Inputs make_inputs(const FlashShape& s, uint64_t seed, double q_scale = 1.0) {
  const int64_t count = s.batch * s.seq_len * s.head_dim;
  Inputs in;
  in.q = testing::normal_vector<float>(count, seed, "q", q_scale);
  in.k = testing::normal_vector<float>(count, seed, "k");
  in.v = testing::normal_vector<float>(count, seed, "v");
  in.q64.assign(in.q.begin(), in.q.end());  // the fp64 reference sees the very same fp32 inputs
  in.k64.assign(in.k.begin(), in.k.end());
  in.v64.assign(in.v.begin(), in.v.end());
  return in;
}

std::string describe(const FlashShape& s) {
  return "N=" + std::to_string(s.seq_len) + " d=" + std::to_string(s.head_dim) + " B=" + std::to_string(s.batch) +
         " causal=" + std::to_string(s.mask.causal) + " window=" + std::to_string(s.mask.window) +
         " block=" + std::to_string(s.mask.block) + " tiles=" + std::to_string(s.tiles.block_q) + "x" +
         std::to_string(s.tiles.block_k);
}

// Runs the fp32 kernel, the plain fp32 implementation and the fp64 reference; checks the 2x rule.
void check_against_reference(CpuCase& cc, const FlashShape& s, uint64_t seed) {
  const Inputs in = make_inputs(s, seed);
  const double scale = 1.0 / std::sqrt(double(s.head_dim));
  std::vector<double> lse_ref;
  const auto ref = naive<double>(s, scale, in.q64, in.k64, in.v64, &lse_ref);
  const auto plain = naive<float>(s, scale, in.q, in.k, in.v);
  std::vector<float> out(in.q.size(), std::numeric_limits<float>::quiet_NaN());  // unwritten -> fails
  std::vector<float> lse(static_cast<std::size_t>(s.batch * s.seq_len), std::numeric_limits<float>::quiet_NaN());
  flash_attention<float>(cc.ctx, s, float(scale), in.q.data(), in.k.data(), in.v.data(), out.data(), lse.data());
  const double err = testing::max_abs_diff(out, ref), plain_err = testing::max_abs_diff(plain, ref);
  EXPECT_LE(err, 2 * plain_err + 1e-7) << describe(s) << " flash err " << err << " plain fp32 err " << plain_err;
  EXPECT_LT(testing::rel_fro(out, ref), 2e-6) << describe(s);
  EXPECT_LT(testing::max_abs_diff(lse, lse_ref), 2e-5) << describe(s) << " (LSE)";

  std::vector<double> out64(ref.size(), std::numeric_limits<double>::quiet_NaN());
  flash_attention<double>(cc.ctx, s, scale, in.q64.data(), in.k64.data(), in.v64.data(), out64.data());
  EXPECT_LT(testing::max_abs_diff(out64, ref), 1e-12) << describe(s) << " (fp64 kernel)";
}

TEST(OpsFlashAttention, MatchesReferenceOnAwkwardSizes) {
  CpuCase cc(2);
  for (int64_t n : {1, 7, 63, 64, 65, 97, 256, 1025}) {
    for (int64_t d : {16, 32, 64, 128}) {
      for (bool causal : {false, true}) {
        FlashShape s{.batch = 1, .seq_len = n, .head_dim = d, .tiles = default_flash_tiles(d)};
        s.mask.causal = causal;
        check_against_reference(cc, s, static_cast<uint64_t>(n * 1000 + d));
      }
    }
  }
}

TEST(OpsFlashAttention, WindowAndBlockMasksSkipTiles) {
  CpuCase cc(2);
  for (int64_t n : {97, 256, 1025}) {
    for (bool causal : {false, true}) {
      for (AttentionMask m : {AttentionMask{.window = 0}, AttentionMask{.window = 40}, AttentionMask{.window = 300},
                              AttentionMask{.block = 64}, AttentionMask{.block = 100},
                              AttentionMask{.window = 20, .block = 128}}) {
        m.causal = causal;
        FlashShape s{.batch = 2, .seq_len = n, .head_dim = 32, .mask = m, .tiles = default_flash_tiles(32)};
        check_against_reference(cc, s, static_cast<uint64_t>(n));
      }
    }
  }
}

TEST(OpsFlashAttention, OddTilesAndBatch) {
  CpuCase cc(2);
  for (FlashTiles t : {FlashTiles{1, 1}, FlashTiles{16, 48}, FlashTiles{7, 300}, FlashTiles{128, 32}}) {
    for (bool causal : {false, true}) {
      FlashShape s{.batch = 3, .seq_len = 97, .head_dim = 16, .tiles = t};
      s.mask.causal = causal;
      check_against_reference(cc, s, 5);
    }
  }
}

TEST(OpsFlashAttention, ScaleStressStaysFinite) {
  CpuCase cc(2);
  FlashShape s{.batch = 1, .seq_len = 257, .head_dim = 64, .tiles = default_flash_tiles(64)};
  const Inputs in = make_inputs(s, 11, 100.0);  // Q * 100: scores in the thousands
  const double scale = 0.125;
  const auto ref = naive<double>(s, scale, in.q64, in.k64, in.v64);
  const auto plain = naive<float>(s, scale, in.q, in.k, in.v);
  std::vector<float> out(in.q.size());
  flash_attention<float>(cc.ctx, s, float(scale), in.q.data(), in.k.data(), in.v.data(), out.data());
  for (float x : out) ASSERT_TRUE(std::isfinite(x));
  // Near one-hot rows: both fp32 versions pick the same winner up to rounding of huge scores.
  EXPECT_LE(testing::max_abs_diff(out, ref), 2 * testing::max_abs_diff(plain, ref) + 1e-5);
}

TEST(OpsFlashAttention, CausalFirstRowIsFirstValue) {
  CpuCase cc(1);
  FlashShape s{.batch = 1, .seq_len = 300, .head_dim = 64, .tiles = default_flash_tiles(64)};
  s.mask.causal = true;
  const Inputs in = make_inputs(s, 3);
  std::vector<float> out(in.q.size());
  flash_attention<float>(cc.ctx, s, 0.125f, in.q.data(), in.k.data(), in.v.data(), out.data());
  for (int64_t c = 0; c < 64; ++c) EXPECT_EQ(out[c], in.v[c]);
}

TEST(OpsFlashAttention, ScratchIsPerThreadTilesAndReused) {
  CpuCase cc(2);
  FlashShape s{.batch = 1, .seq_len = 2048, .head_dim = 64, .tiles = default_flash_tiles(64)};
  const Inputs in = make_inputs(s, 9);
  std::vector<float> out(in.q.size());
  flash_attention<float>(cc.ctx, s, 0.125f, in.q.data(), in.k.data(), in.v.data(), out.data());
  const std::size_t peak = cc.ws.peak_bytes();
  EXPECT_EQ(peak, flash_attention_scratch_bytes(s, sizeof(float), 2));
  s.seq_len = 16384;  // scratch does not grow with N: the O(N d) memory is the inputs and outputs
  EXPECT_EQ(flash_attention_scratch_bytes(s, sizeof(float), 2), peak);
  EXPECT_LT(peak, std::size_t(8) << 20);
  s.seq_len = 2048;
  flash_attention<float>(cc.ctx, s, 0.125f, in.q.data(), in.k.data(), in.v.data(), out.data());
  EXPECT_EQ(cc.ws.peak_bytes(), peak);
}

}  // namespace
}  // namespace attn::ops
