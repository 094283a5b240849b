// CPU vs GPU for the composite ops of the kernel and low-rank methods: random feature maps (every
// kind and shift, L2-normalized inputs, per-frequency scales, the shift each row was divided by),
// linear attention (bidirectional and the chunked causal scan, chunk not dividing N, the guarded-row
// count, no denominator), the Newton-Schulz pseudo-inverse (both initial scales) and SOFT's Newton inverse (both
// initializations, including the halving test), Luna's causal nested attention (shared and per-head
// pack sequences, chunks not dividing N). Same host inputs, normalized MSE below 1e-7.
// Skips without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/rng.hpp"
#include "cuda_testing.hpp"
#include "ops/linear_attention.hpp"
#include "ops/nested_causal_attention.hpp"
#include "ops/newton_inverse.hpp"
#include "ops/pinv.hpp"
#include "ops/random_features.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

template <class T>
void expect_match(const DeviceVector<T>& gpu, const std::vector<T>& cpu, const std::string& what) {
  EXPECT_LT(testing::nmse(gpu.to_host(), cpu), 1e-7) << what;
}

std::string describe(const FeatureShape& s) {
  return "kind=" + std::to_string(static_cast<int>(s.kind)) + " shift=" + std::to_string(static_cast<int>(s.shift)) +
         " l2=" + std::to_string(s.l2_normalize) + " N=" + std::to_string(s.seq_len) + " d=" + std::to_string(s.head_dim) +
         " m=" + std::to_string(s.projections);
}

template <class T>
void features_case(CudaSession& session, FeatureShape s, bool with_scale) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const auto x = testing::normal_vector<T>(s.batch * s.seq_len * s.head_dim, 1, "x", 0.8);
  std::vector<T> w(static_cast<std::size_t>(s.projections * s.head_dim));
  draw_projection(Rng(3, "cuda-test", "w"), s.projections, s.head_dim, true, true, w.data());
  const auto scale = testing::uniform_vector<T>(s.projections, 4, "scale", 0.1, 1.0);
  const bool fourier_scale = with_scale && s.kind == FeatureKind::fourier;
  const int64_t cols = feature_columns(s), shifts = s.batch * s.seq_len;
  std::vector<T> out(s.batch * s.seq_len * cols), shift(shifts, T(0));
  DeviceVector<T> dx(x), dw(w), dscale(scale), dout(out), dshift(shift);
  random_features<T>(cpu.ctx, s, x.data(), w.data(), out.data(), fourier_scale ? scale.data() : nullptr, shift.data());
  random_features<T>(gpu.ctx, s, dx.ptr, dw.ptr, dout.ptr, fourier_scale ? dscale.ptr : nullptr, dshift.ptr);
  expect_match(dout, out, "features " + describe(s));
  expect_match(dshift, shift, "shift " + describe(s));
}

TEST(OpsCudaKernels, RandomFeaturesMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (FeatureKind kind : {FeatureKind::positive, FeatureKind::trig, FeatureKind::hyperbolic, FeatureKind::fourier}) {
    for (FeatureShift shift : {FeatureShift::per_row, FeatureShift::per_head, FeatureShift::none}) {
      for (bool l2 : {false, true}) {
        FeatureShape s{.batch = 3, .seq_len = 97, .head_dim = 40, .projections = 70, .kind = kind, .shift = shift};
        s.input_scale = 1.0 / std::pow(40.0, 0.25);
        s.l2_normalize = l2;
        features_case<float>(session, s, true);
        features_case<double>(session, s, false);
      }
    }
  }
  FeatureShape big{.batch = 2, .seq_len = 1025, .head_dim = 64, .projections = 256};
  features_case<float>(session, big, false);
}

template <class T>
void linear_case(CudaSession& session, LinearAttentionShape s, bool signed_features) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const int64_t nm = s.batch * s.seq_len * s.features;
  // Positive features (a Performer-like map) or signed ones whose denominators hit the guard.
  auto pq = signed_features ? testing::normal_vector<T>(nm, 5, "pq") : testing::uniform_vector<T>(nm, 5, "pq", 0.01, 1);
  auto pk = signed_features ? testing::normal_vector<T>(nm, 6, "pk") : testing::uniform_vector<T>(nm, 6, "pk", 0.01, 1);
  const auto v = testing::normal_vector<T>(s.batch * s.seq_len * s.value_dim, 7, "v");
  std::vector<T> out(v.size());
  DeviceVector<T> dq(pq), dk(pk), dv(v), dout(out);
  const int64_t bad_cpu = linear_attention<T>(cpu.ctx, s, pq.data(), pk.data(), v.data(), out.data());
  const int64_t bad_gpu = linear_attention<T>(gpu.ctx, s, dq.ptr, dk.ptr, dv.ptr, dout.ptr);
  const std::string what = "N=" + std::to_string(s.seq_len) + " m=" + std::to_string(s.features) + " causal=" +
                           std::to_string(s.causal) + " chunk=" + std::to_string(s.chunk);
  EXPECT_EQ(bad_gpu, bad_cpu) << what;
  if (signed_features) {
    // Signed denominators cross zero: only rows away from the guard are comparable to 1e-7.
    EXPECT_GT(bad_cpu, 0) << what;
    return;
  }
  expect_match(dout, out, what);
}

TEST(OpsCudaKernels, LinearAttentionMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (bool causal : {false, true}) {
    for (int64_t n : {1, 97, 256, 1025}) {
      LinearAttentionShape s{.batch = 3, .seq_len = n, .features = 48, .value_dim = 40, .causal = causal, .chunk = 64};
      linear_case<float>(session, s, false);
      linear_case<double>(session, s, false);
    }
  }
  for (bool causal : {false, true}) {  // no denominator (the low-rank operator's kernel integral)
    LinearAttentionShape s{.batch = 2, .seq_len = 300, .features = 16, .value_dim = 8, .causal = causal, .chunk = 64};
    s.normalize = false;
    linear_case<float>(session, s, false);
  }
  linear_case<float>(session, {.batch = 2, .seq_len = 300, .features = 16, .value_dim = 8, .causal = true}, true);
  linear_case<float>(session, {.batch = 2, .seq_len = 300, .features = 16, .value_dim = 8, .causal = false}, true);
}

// Landmark-kernel-like W: a row-softmax of random scores (what Nystromformer inverts).
template <class T>
std::vector<T> softmax_matrices(int64_t batch, int64_t n, uint64_t seed) {
  auto w = testing::normal_vector<T>(batch * n * n, seed, "w", 2.0);
  for (int64_t r = 0; r < batch * n; ++r) {
    T* row = w.data() + r * n;
    T mx = row[0], sum = 0;
    for (int64_t j = 0; j < n; ++j) mx = std::max(mx, row[j]);
    for (int64_t j = 0; j < n; ++j) sum += row[j] = std::exp(row[j] - mx);
    for (int64_t j = 0; j < n; ++j) row[j] /= sum;
  }
  return w;
}

TEST(OpsCudaKernels, PinvMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (PinvInit init : {PinvInit::original, PinvInit::exact}) {
    for (int64_t n : {1, 33, 64}) {
      for (int iters : {0, 1, 6}) {
        testing::CpuCase cpu(2);
        testing::GpuCase gpu(session);
        const PinvShape s{.batch = 4, .size = n, .iterations = iters, .init = init};
        const auto w = softmax_matrices<float>(4, n, 8);
        std::vector<float> z(w.size());
        DeviceVector<float> dw(w), dz(z);
        newton_schulz_pinv<float>(cpu.ctx, s, w.data(), z.data());
        newton_schulz_pinv<float>(gpu.ctx, s, dw.ptr, dz.ptr);
        expect_match(dz, z, "pinv n=" + std::to_string(n) + " iters=" + std::to_string(iters));
      }
    }
  }
}

TEST(OpsCudaKernels, NewtonInverseMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (NewtonInit init : {NewtonInit::per_matrix, NewtonInit::normalized}) {
    for (int64_t n : {1, 20, 64}) {
      testing::CpuCase cpu(2);
      testing::GpuCase gpu(session);
      const NewtonInverseShape s{.batch = 3, .size = n, .iterations = 8, .ridge = 0.05, .init = init};
      // Symmetric non-negative matrices: Gaussian kernels of random points (SOFT's landmark kernel).
      const auto pts = testing::normal_vector<double>(3 * n * 4, 9, "pts");
      std::vector<double> a(static_cast<std::size_t>(3 * n * n));
      for (int64_t b = 0; b < 3; ++b)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double d2 = 0;
            for (int c = 0; c < 4; ++c) {
              const double diff = pts[(b * n + i) * 4 + c] - pts[(b * n + j) * 4 + c];
              d2 += diff * diff;
            }
            a[(b * n + i) * n + j] = std::exp(-0.5 * d2);
          }
      std::vector<float> af(a.begin(), a.end()), v(a.size());
      DeviceVector<float> da(af), dv(v);
      newton_inverse<float>(cpu.ctx, s, af.data(), v.data());
      newton_inverse<float>(gpu.ctx, s, da.ptr, dv.ptr);
      expect_match(dv, v, "newton_inverse n=" + std::to_string(n) + " init=" + std::to_string(static_cast<int>(init)));
      std::vector<double> vd(a.size());
      DeviceVector<double> dad(a), dvd(vd);
      newton_inverse<double>(cpu.ctx, s, a.data(), vd.data());
      newton_inverse<double>(gpu.ctx, s, dad.ptr, dvd.ptr);
      expect_match(dvd, vd, "newton_inverse fp64 n=" + std::to_string(n));
    }
  }
}

TEST(OpsCudaKernels, NestedCausalAttentionMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t n : {1, 97, 256}) {
    for (int64_t l : {8, 33}) {
      for (bool per_head : {false, true}) {
        testing::CpuCase cpu(2);
        testing::GpuCase gpu(session);
        NestedCausalShape s{.batch = 3, .seq_len = n, .head_dim = 32, .value_dim = 24, .pack_len = l,
                            .pack_stride = per_head ? l * 32 : 0, .chunk = per_head ? 64 : 20};
        const auto p = testing::normal_vector<float>((per_head ? 3 : 1) * l * 32, 10, "p");
        const auto q = testing::normal_vector<float>(3 * n * 32, 11, "q");
        const auto k = testing::normal_vector<float>(3 * n * 32, 12, "k");
        const auto v = testing::normal_vector<float>(3 * n * 24, 13, "v");
        std::vector<float> out(v.size());
        DeviceVector<float> dp(p), dq(q), dk(k), dv(v), dout(out);
        const float scale = 1.0f / std::sqrt(32.0f);
        nested_causal_attention<float>(cpu.ctx, s, scale, p.data(), q.data(), k.data(), v.data(), out.data());
        nested_causal_attention<float>(gpu.ctx, s, scale, dp.ptr, dq.ptr, dk.ptr, dv.ptr, dout.ptr);
        expect_match(dout, out, "nested_causal N=" + std::to_string(n) + " l=" + std::to_string(l) +
                                    " per_head=" + std::to_string(per_head));
      }
    }
  }
}

}  // namespace
}  // namespace attn::ops
