// The 16-bit (fp16 / bf16) path of Performer's ops on the GPU, checked against fp32 on inputs already
// rounded to the type, so every difference comes from the path's own rounding points:
//   - gemm with 16-bit operands and an fp32 result: against a host product of the rounded operands,
//     to fp32 accumulation accuracy (an fp32 result rounded to 16 bits would fail by ~1000x);
//   - random_features: against the fp32 CUDA op on the same rounded x and W, within one 16-bit ulp of
//     each feature (the map runs in fp32 from the fp32 projection; only the feature is rounded);
//   - linear_attention: against the CPU fp32 op on the same rounded features and V, element-wise
//     within the output's rounding plus the state's (and the causal chunk block's) rounding as GEMM
//     operands: u |ref| + 1.5 u A + 1e-4 A, A = sum_j K_ij |v_j| / den_i (the |.|-weighted numerator);
// (Performer itself at fp16 / bf16 against the fp64 softmax reference: test_cuda_performer_half.cpp,
// which links the method layers that this ops-layer test does not.)
//   - on the CPU every 16-bit entry says unsupported, naming the op (these run without a device).
// u is the type's unit roundoff: 2^-11 (fp16), 2^-8 (bf16). GPU checks skip without a device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "core/half.hpp"
#include "core/rng.hpp"
#include "cuda_testing.hpp"
#include "half_testing.hpp"
#include "ops/gemm.hpp"
#include "ops/linear_attention.hpp"
#include "ops/random_features.hpp"
#include "ops_testing.hpp"

namespace attn {
namespace {

using testing::DeviceVector;

using testing::from_16;
using testing::round_h;
using testing::rounded;
using testing::to_16;
using testing::type_name;
using testing::unit_roundoff;

// ---- gemm: 16-bit operands, fp32 result ----

template <class H>
void gemm_case(CudaSession& session, ops::Trans ta, ops::Trans tb) {
  testing::GpuCase gpu(session);
  const int64_t batch = 3, m = 37, n = 45, k = 70;
  const auto a = rounded<H>(testing::normal_vector<float>(batch * m * k, 1, "a"));
  const auto b = rounded<H>(testing::normal_vector<float>(batch * k * n, 1, "b"));
  const auto c0 = testing::normal_vector<float>(batch * m * n, 1, "c");
  DeviceVector<H> da(to_16<H>(a)), db(to_16<H>(b));
  DeviceVector<float> dc(c0);
  const float alpha = 0.75f, beta = 0.5f;  // beta != 0: C is read in fp32 too
  ops::gemm(gpu.ctx, ops::gemm_shape(ta, tb, m, n, k, batch), alpha, da.ptr, db.ptr, beta, dc.ptr);
  gpu.sync();
  const auto got = dc.to_host();
  double worst = 0;
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double exact = 0, mag = 0;
        for (int64_t l = 0; l < k; ++l) {
          const double x = a[p * m * k + (ta == ops::Trans::no ? i * k + l : l * m + i)];
          const double y = b[p * k * n + (tb == ops::Trans::no ? l * n + j : j * k + l)];
          exact += x * y;
          mag += std::abs(x * y);
        }
        const std::size_t e = static_cast<std::size_t>(p * m * n + i * n + j);
        const double ref = alpha * exact + beta * static_cast<double>(c0[e]);
        // fp32 accumulation of k exact products (a 16-bit product is exact in fp32), plus alpha/beta.
        const double tol = 2.0 * (k + 2) * std::ldexp(1.0, -24) * (alpha * mag + beta * std::abs(c0[e])) + 1e-30;
        worst = std::max(worst, std::abs(got[e] - ref) / tol);
      }
  EXPECT_LE(worst, 1.0) << type_name<H>() << " ta=" << int(ta) << " tb=" << int(tb) << " (error / bound)";
}

TEST(OpsCudaHalfLinear, GemmFp32ResultMatchesHostProduct) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (auto ta : {ops::Trans::no, ops::Trans::yes})
    for (auto tb : {ops::Trans::no, ops::Trans::yes}) {
      gemm_case<Half>(session, ta, tb);
      gemm_case<BFloat16>(session, ta, tb);
    }
}

// ---- random_features ----

std::string describe(const ops::FeatureShape& s) {
  return "kind=" + std::to_string(static_cast<int>(s.kind)) + " shift=" + std::to_string(static_cast<int>(s.shift)) +
         " N=" + std::to_string(s.seq_len) + " d=" + std::to_string(s.head_dim) + " m=" + std::to_string(s.projections);
}

template <class H>
void features_case(CudaSession& session, const ops::FeatureShape& s) {
  testing::GpuCase gpu(session);
  const auto x = rounded<H>(testing::normal_vector<float>(s.batch * s.seq_len * s.head_dim, 1, "x", 0.8));
  std::vector<float> w(static_cast<std::size_t>(s.projections * s.head_dim));
  ops::draw_projection(Rng(3, "cuda-half-test", "w"), s.projections, s.head_dim, true, true, w.data());
  w = rounded<H>(w);
  const auto scale = rounded<H>(testing::uniform_vector<float>(s.projections, 4, "scale", 0.1, 1.0));
  const bool with_scale = s.kind == ops::FeatureKind::fourier;
  const std::size_t out_n = static_cast<std::size_t>(s.batch * s.seq_len * ops::feature_columns(s));
  DeviceVector<float> dx(x), dw(w), dscale(scale), dref(out_n);
  DeviceVector<H> hx(to_16<H>(x)), hw(to_16<H>(w)), hscale(to_16<H>(scale)), hout(out_n);
  ops::random_features<float>(gpu.ctx, s, dx.ptr, dw.ptr, dref.ptr, with_scale ? dscale.ptr : nullptr);
  ops::random_features(gpu.ctx, s, hx.ptr, hw.ptr, hout.ptr, with_scale ? hscale.ptr : nullptr);
  gpu.sync();
  const auto ref = dref.to_host();
  const auto got = from_16<H>(hout.to_host());
  double top = 0;
  for (float r : ref) top = std::max(top, static_cast<double>(std::abs(r)));
  // One ulp (2u |ref|: rounding is half of it, the rest covers fp32 summation-order differences in
  // the projection), 4e-6 of the largest feature (trig / fourier near a zero of cos or sin: there the
  // error is the projection's absolute difference, a few fp32 ulps of |U| <= ~10 between tensor-core
  // and SGEMM accumulation; a host emulation with k16 blocks added with truncation reached 1.03x a
  // 1e-6 bound on fp16 fourier in 1 of 300 seeds, 0.5x with 4e-6; U rounded to 16 bits would still
  // fail by ~100x), and fp16's subnormal spacing 2^-24 (tiny positive features).
  const double u = unit_roundoff<H>();
  double worst = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double tol = 2 * u * std::abs(ref[i]) + 4e-6 * top + std::ldexp(1.0, -24);
    worst = std::max(worst, std::abs(static_cast<double>(got[i]) - ref[i]) / tol);
  }
  EXPECT_LE(worst, 1.0) << type_name<H>() << " " << describe(s) << " (error / bound)";
}

TEST(OpsCudaHalfLinear, RandomFeaturesWithinAnUlpOfFp32) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (auto kind : {ops::FeatureKind::positive, ops::FeatureKind::trig, ops::FeatureKind::hyperbolic,
                    ops::FeatureKind::fourier})
    for (auto shift : {ops::FeatureShift::per_row, ops::FeatureShift::per_head, ops::FeatureShift::none}) {
      ops::FeatureShape s{.batch = 3, .seq_len = 97, .head_dim = 40, .projections = 70, .kind = kind, .shift = shift};
      s.input_scale = 1.0 / std::pow(40.0, 0.25);
      features_case<Half>(session, s);
      features_case<BFloat16>(session, s);
    }
  ops::FeatureShape big{.batch = 2, .seq_len = 1025, .head_dim = 64, .projections = 256};
  big.input_scale = 1.0 / std::pow(64.0, 0.25);
  features_case<Half>(session, big);
  features_case<BFloat16>(session, big);
}

TEST(OpsCudaHalfLinear, RandomFeaturesRefuseUnitNormInputs) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  testing::GpuCase gpu(session);
  ops::FeatureShape s{.batch = 1, .seq_len = 8, .head_dim = 8, .projections = 8};
  s.l2_normalize = true;
  DeviceVector<Half> x(64), w(64), out(64);
  try {
    ops::random_features(gpu.ctx, s, x.ptr, w.ptr, out.ptr);
    ADD_FAILURE() << "no UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("'random_features' has no fp16 path"), std::string::npos) << e.what();
  }
}

// ---- linear_attention ----

template <class H>
void linear_case(CudaSession& session, const ops::LinearAttentionShape& s) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const int64_t B = s.batch, n = s.seq_len, m = s.features, dv = s.value_dim;
  // Positive features of Performer's scale (<= 1/sqrt(m)), V ~ N(0, 1): signed numerators that cancel.
  const float top = 1.0f / std::sqrt(static_cast<float>(m));
  const auto pq = rounded<H>(testing::uniform_vector<float>(B * n * m, 5, "pq", 0.01 * top, top));
  const auto pk = rounded<H>(testing::uniform_vector<float>(B * n * m, 5, "pk", 0.01 * top, top));
  const auto v = rounded<H>(testing::normal_vector<float>(B * n * dv, 5, "v"));
  std::vector<float> ref(static_cast<std::size_t>(B * n * dv));
  const int64_t bad_ref = ops::linear_attention<float>(cpu.ctx, s, pq.data(), pk.data(), v.data(), ref.data());
  DeviceVector<H> dq(to_16<H>(pq)), dk(to_16<H>(pk)), dvv(to_16<H>(v)), dout(ref.size());
  const int64_t bad = ops::linear_attention(gpu.ctx, s, dq.ptr, dk.ptr, dvv.ptr, dout.ptr);
  gpu.sync();
  const auto got = from_16<H>(dout.to_host());
  EXPECT_EQ(bad, bad_ref);
  const double u = unit_roundoff<H>();
  double worst = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < n; ++i) {
      const int64_t last = s.causal ? i : n - 1;
      std::vector<double> a(static_cast<std::size_t>(dv), 0.0);
      double den = 0;
      for (int64_t j = 0; j <= last; ++j) {
        double kij = 0;
        for (int64_t f = 0; f < m; ++f) kij += double(pq[(b * n + i) * m + f]) * pk[(b * n + j) * m + f];
        den += kij;
        for (int64_t c = 0; c < dv; ++c) a[c] += kij * std::abs(v[(b * n + j) * dv + c]);
      }
      if (!s.normalize) den = 1;
      for (int64_t c = 0; c < dv; ++c) {
        const std::size_t e = static_cast<std::size_t>((b * n + i) * dv + c);
        const double big = a[c] / den;
        const double tol = u * std::abs(ref[e]) + (1.5 * u + 1e-4) * big + 1e-30;
        worst = std::max(worst, std::abs(static_cast<double>(got[e]) - ref[e]) / tol);
      }
    }
  EXPECT_LE(worst, 1.0) << type_name<H>() << " B=" << B << " N=" << n << " m=" << m << " dv=" << dv
                        << " causal=" << s.causal << " chunk=" << s.chunk << " normalize=" << s.normalize
                        << " (error / bound)";
}

TEST(OpsCudaHalfLinear, LinearAttentionMatchesFp32) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (bool causal : {false, true})
    for (bool normalize : {true, false}) {
      // N = 300 with chunk 128: two full chunks and a partial one.
      ops::LinearAttentionShape s{.batch = 2, .seq_len = 300, .features = 64, .value_dim = 40, .causal = causal,
                                  .chunk = 128, .normalize = normalize};
      linear_case<Half>(session, s);
      linear_case<BFloat16>(session, s);
    }
  ops::LinearAttentionShape one_chunk{.batch = 3, .seq_len = 97, .features = 70, .value_dim = 64, .causal = true,
                                      .chunk = 128};
  linear_case<Half>(session, one_chunk);
}

// ---- the CPU refuses every 16-bit entry, naming the op (runs without a device) ----

template <class F>
void expect_unsupported(const F& call, const std::string& op) {
  try {
    call();
    ADD_FAILURE() << op << ": no UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + op + "'"), std::string::npos) << e.what();
  }
}

TEST(OpsCudaHalfLinear, CpuRefusesSixteenBitEntriesNamingTheOp) {
  testing::CpuCase cpu(1);
  std::vector<Half> h(256);
  std::vector<BFloat16> bh(256);
  std::vector<float> f(256);
  const auto g = ops::gemm_shape(ops::Trans::no, ops::Trans::no, 4, 4, 4);
  expect_unsupported([&] { ops::gemm(cpu.ctx, g, 1.0f, h.data(), h.data(), 0.0f, f.data()); }, "gemm");
  expect_unsupported([&] { ops::gemm(cpu.ctx, g, 1.0f, bh.data(), bh.data(), 0.0f, f.data()); }, "gemm");
  const ops::FeatureShape fs{.batch = 1, .seq_len = 4, .head_dim = 4, .projections = 4};
  expect_unsupported([&] { ops::random_features(cpu.ctx, fs, h.data(), h.data(), h.data()); }, "random_features");
  expect_unsupported([&] { ops::random_features(cpu.ctx, fs, bh.data(), bh.data(), bh.data()); }, "random_features");
  const ops::LinearAttentionShape ls{.batch = 1, .seq_len = 4, .features = 4, .value_dim = 4};
  expect_unsupported([&] { ops::linear_attention(cpu.ctx, ls, h.data(), h.data(), h.data(), h.data()); },
                     "linear_attention");
  expect_unsupported([&] { ops::linear_attention(cpu.ctx, ls, bh.data(), bh.data(), bh.data(), bh.data()); },
                     "linear_attention");
}

}  // namespace
}  // namespace attn
