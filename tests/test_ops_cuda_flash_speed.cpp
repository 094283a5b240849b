// Issue #8's fused-kernel target, measured (never asserted: timing targets live in bench_specs and
// the device-check notes): fp16 fused attention vs the two cuBLAS tensor-core GEMMs of the unfused
// path (S = Q K^T into an N x N buffer, then O = P V), batch x heads = 16, N = 8192 and 16384,
// d = 64 and 128, non-causal. Each configuration prints one "throughput" line with the
// dense-equivalent TFLOP/s of both and their ratio (target: fused >= 0.5 x cuBLAS).
// What is asserted is correctness at these sizes: the fp16 fused output agrees with the fp32 fused
// kernel to fp16 rounding, and the fp16 GEMM agrees with an fp32 CPU GEMM of the same rounded inputs.
// Skips without a device.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/half.hpp"
#include "cuda_testing.hpp"
#include "ops/flash_attention.hpp"
#include "ops/gemm.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

std::vector<Half> to_half_vector(const std::vector<float>& x) {
  std::vector<Half> h(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) h[i] = to_half(x[i]);
  return h;
}

std::vector<float> to_float_vector(const std::vector<Half>& h) {
  std::vector<float> x(h.size());
  for (std::size_t i = 0; i < h.size(); ++i) x[i] = to_float(h[i]);
  return x;
}

// Median wall time of `reps` synchronized runs of `fn` after one warm-up, in ms.
template <class Fn>
double median_ms(testing::GpuCase& gpu, int reps, Fn fn) {
  fn();
  gpu.sync();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    gpu.sync();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

TEST(OpsCudaFlashSpeed, HalfGemmMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  for (Trans tb : {Trans::no, Trans::yes}) {
    const GemmShape s = gemm_shape(Trans::no, tb, 67, 45, 129, 3);
    auto round = [](std::vector<float> x) { return to_float_vector(to_half_vector(x)); };
    const auto a = round(testing::normal_vector<float>(3 * 67 * 129, 1, "a"));
    const auto b = round(testing::normal_vector<float>(3 * 129 * 45, 2, "b"));
    std::vector<float> c(3 * 67 * 45);
    DeviceVector<Half> da(to_half_vector(a)), db(to_half_vector(b)), dc(c.size());
    gemm<float>(cpu.ctx, s, 1.0f, a.data(), b.data(), 0.0f, c.data());
    gemm(gpu.ctx, s, 1.0f, da.ptr, db.ptr, 0.0f, dc.ptr);
    // fp32 accumulation, then one fp16 rounding (relative 2^-11 at most: nmse about 8e-8).
    EXPECT_LT(testing::nmse(to_float_vector(dc.to_host()), c), 2.5e-7);
  }
}

TEST(OpsCudaFlashSpeed, FusedFp16VersusCublasGemms) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  constexpr int64_t kBatch = 16;
  for (int64_t n : {8192, 16384}) {
    for (int64_t d : {64, 128}) {
      testing::GpuCase gpu(session);
      const int64_t numel = kBatch * n * d;
      const auto q = testing::normal_vector<float>(numel, 1, "q"), k = testing::normal_vector<float>(numel, 1, "k"),
                 v = testing::normal_vector<float>(numel, 1, "v");
      DeviceVector<Half> hq(to_half_vector(q)), hk(to_half_vector(k)), hv(to_half_vector(v)),
          hout(static_cast<std::size_t>(numel));
      DeviceVector<Half> scores(static_cast<std::size_t>(kBatch * n * n), DeviceVector<Half>::Uninitialized{});
      DeviceVector<float> fq(to_float_vector(to_half_vector(q))), fk(to_float_vector(to_half_vector(k))),
          fv(to_float_vector(to_half_vector(v))), fout(static_cast<std::size_t>(numel));
      FlashShape fs{.batch = kBatch, .seq_len = n, .head_dim = d, .tiles = default_flash_tiles(d)};
      const float scale = 1.0f / std::sqrt(static_cast<float>(d));

      const double fused_ms = median_ms(gpu, 5, [&] {
        flash_attention(gpu.ctx, fs, scale, hq.ptr, hk.ptr, hv.ptr, hout.ptr);
      });
      GemmShape qk = gemm_shape(Trans::no, Trans::yes, n, n, d, kBatch);
      GemmShape pv = gemm_shape(Trans::no, Trans::no, n, d, n, kBatch);
      const double gemm_ms = median_ms(gpu, 5, [&] {
        gemm(gpu.ctx, qk, scale, hq.ptr, hk.ptr, 0.0f, scores.ptr);
        gemm(gpu.ctx, pv, 1.0f, scores.ptr, hv.ptr, 0.0f, hout.ptr);  // throughput only: S is not a softmax
      });
      const double flops = 4.0 * kBatch * static_cast<double>(n) * n * d;  // dense-equivalent, non-causal
      const double fused_tf = flops / fused_ms * 1e-9, gemm_tf = flops / gemm_ms * 1e-9;
      std::printf("throughput fp16 BH=%lld N=%lld d=%lld: fused %.1f TFLOP/s (%.2f ms), cuBLAS QK^T+PV %.1f TFLOP/s "
                  "(%.2f ms), ratio %.2f (target >= 0.5)\n",
                  static_cast<long long>(kBatch), static_cast<long long>(n), static_cast<long long>(d), fused_tf, fused_ms,
                  gemm_tf, gemm_ms, fused_tf / gemm_tf);

      // Correctness at this size: the fp16 result against the fp32 fused kernel on the same inputs.
      flash_attention(gpu.ctx, fs, scale, hq.ptr, hk.ptr, hv.ptr, hout.ptr);
      flash_attention<float>(gpu.ctx, fs, scale, fq.ptr, fk.ptr, fv.ptr, fout.ptr);
      gpu.sync();
      const double err = testing::rel_fro(to_float_vector(hout.to_host()), fout.to_host());
      EXPECT_LT(err, 2e-3) << "N=" << n << " d=" << d;  // fp16 P and output rounding: about 3e-4
    }
  }
}

}  // namespace
}  // namespace attn::ops
