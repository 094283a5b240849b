// fp16 / bf16 fused attention on tensor cores (ops/cuda/flash_attention_tc.cu), FlashAttention's
// test rule: on inputs rounded to the 16-bit type, the kernel's error against the fp64 reference is
// at most twice that of a plain implementation in the same precision (+1e-7): scores S = Q K^T in
// fp32, scaled by 1/sqrt(d) and rounded to the type, softmax in fp32, P rounded, O = P V in fp32, O rounded (what a
// framework's unfused fp16 attention computes). The fp32 LSE must match the fp64 one. Masks, key
// lengths and block layouts as for fp32. On the CPU the 16-bit entry says unsupported, naming the op.
// The unfused 16-bit path `exact` runs on the GPU (GemmEx, the 16-bit row softmax, GemmEx) is that
// plain implementation: it must agree with the host version to within the type's rounding, and the
// fused kernel stays within twice its error.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "core/half.hpp"
#include "core/rng.hpp"
#include "cuda_testing.hpp"
#include "half_testing.hpp"
#include "ops/block_layout.hpp"
#include "ops/flash_attention.hpp"
#include "ops/gemm.hpp"
#include "ops/softmax.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;
using testing::from_16;
using testing::round_h;
using testing::rounded;
using testing::to_16;

struct HalfCase {
  int64_t batch = 2, n = 97, nk = 0, d = 64;
  AttentionMask mask;
  int64_t layout_block = 0;
};

std::string describe(const HalfCase& c) {
  return "B=" + std::to_string(c.batch) + " N=" + std::to_string(c.n) + " Nk=" + std::to_string(c.nk) +
         " d=" + std::to_string(c.d) + " causal=" + std::to_string(c.mask.causal) +
         " window=" + std::to_string(c.mask.window) + " layout_block=" + std::to_string(c.layout_block);
}

// The plain same-precision attention (see the file comment), allowed pairs from the mask and the
// optional layout (has(head, i, j)).
template <class H, class Allows>
std::vector<float> plain_attention(const HalfCase& c, int64_t nk, const std::vector<float>& q, const std::vector<float>& k,
                                   const std::vector<float>& v, const Allows& allows) {
  const int64_t n = c.n, d = c.d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::vector<float> out(q.size()), p(static_cast<std::size_t>(nk));
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t i = 0; i < n; ++i) {
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < nk; ++j) {
        if (!allows(b, i, j)) continue;
        float s = 0;
        for (int64_t e = 0; e < d; ++e) s += q[(b * n + i) * d + e] * k[(b * nk + j) * d + e];
        p[j] = round_h<H>(s * scale);
        mx = std::max(mx, p[j]);
      }
      float sum = 0;
      for (int64_t j = 0; j < nk; ++j) {
        p[j] = allows(b, i, j) ? std::exp(p[j] - mx) : 0.f;
        sum += p[j];
      }
      for (int64_t j = 0; j < nk; ++j) p[j] = round_h<H>(sum > 0 ? p[j] / sum : 0.f);
      for (int64_t e = 0; e < d; ++e) {
        float acc = 0;
        for (int64_t j = 0; j < nk; ++j) acc += p[j] * v[(b * nk + j) * d + e];
        out[(b * n + i) * d + e] = round_h<H>(acc);
      }
    }
  return out;
}

template <class H>
void half_case(CudaSession& session, const HalfCase& c) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  FlashShape s{.batch = c.batch, .seq_len = c.n, .head_dim = c.d, .mask = c.mask};
  s.tiles = default_flash_tiles(c.d);
  s.seq_len_k = c.nk;
  const int64_t nk = s.keys();
  // Inputs rounded to the 16-bit type; the references see exactly those values.
  const auto q = rounded<H>(testing::normal_vector<float>(c.batch * c.n * c.d, 2, "q", 1.5));
  const auto k = rounded<H>(testing::normal_vector<float>(c.batch * nk * c.d, 2, "k", 1.5));
  const auto v = rounded<H>(testing::normal_vector<float>(c.batch * nk * c.d, 2, "v"));
  DeviceVector<H> dq(to_16<H>(q)), dk(to_16<H>(k)), dv(to_16<H>(v)), dout(q.size());
  DeviceVector<float> dlse(static_cast<std::size_t>(c.batch * c.n));
  BlockLayout layout;
  FlashShape ref_shape = s, gpu_shape = s;
  if (c.layout_block > 0) {
    layout = random_layout(c.n, c.layout_block, 1, 2, Rng(3, "flash-half-test", "layout"));
    ref_shape.layout = upload_layout(cpu.ctx, layout, "layout");
    gpu_shape.layout = upload_layout(gpu.ctx, layout, "layout");
  }
  std::vector<double> qd(q.begin(), q.end()), kd(k.begin(), k.end()), vd(v.begin(), v.end()), ref(qd.size()),
      ref_lse(static_cast<std::size_t>(c.batch * c.n));
  flash_attention<double>(cpu.ctx, ref_shape, 1.0 / std::sqrt(double(c.d)), qd.data(), kd.data(), vd.data(), ref.data(),
                          ref_lse.data());
  flash_attention(gpu.ctx, gpu_shape, 1.0f / std::sqrt(float(c.d)), dq.ptr, dk.ptr, dv.ptr, dout.ptr, dlse.ptr);
  gpu.sync();
  const std::vector<float> got = from_16<H>(dout.to_host());
  const auto plain = plain_attention<H>(c, nk, q, k, v, [&](int64_t, int64_t i, int64_t j) {
    return s.mask.allows(i, j) && (c.layout_block == 0 || layout.has(0, i / c.layout_block, j / c.layout_block));
  });
  const double err = testing::rel_fro(got, ref), plain_err = testing::rel_fro(plain, ref);
  EXPECT_LE(err, 2 * plain_err + 1e-7) << describe(c) << " kernel " << err << " plain " << plain_err;
  std::vector<double> lse_ref;
  std::vector<float> lse_got;
  const auto lse = dlse.to_host();
  for (std::size_t i = 0; i < lse.size(); ++i) {
    if (std::isinf(ref_lse[i])) {
      EXPECT_TRUE(std::isinf(lse[i])) << "empty row " << i << " " << describe(c);
      continue;
    }
    lse_ref.push_back(ref_lse[i]);
    lse_got.push_back(lse[i]);
  }
  if (!lse_ref.empty()) EXPECT_LT(testing::nmse(lse_got, lse_ref), 1e-7) << "lse " << describe(c);
}

// Q K^T and P V through cuBLAS GemmEx in H with fp32 accumulation, the softmax in fp32 rounded to H.
template <class H>
std::vector<float> unfused_on_gpu(testing::GpuCase& gpu, const HalfCase& c, const DeviceVector<H>& q,
                                  const DeviceVector<H>& k, const DeviceVector<H>& v) {
  const int64_t n = c.n, d = c.d;
  DeviceVector<H> scores(static_cast<std::size_t>(c.batch * n * n), typename DeviceVector<H>::Uninitialized{});
  DeviceVector<H> out(static_cast<std::size_t>(c.batch * n * d), typename DeviceVector<H>::Uninitialized{});
  gemm(gpu.ctx, gemm_shape(Trans::no, Trans::yes, n, n, d, c.batch), 1.0f / std::sqrt(float(d)), q.ptr, k.ptr, 0.0f,
       scores.ptr);
  const SoftmaxShape sm{.rows = n, .cols = n, .ld = n, .stride = n * n, .batch = c.batch, .causal = c.mask.causal};
  softmax_rows(gpu.ctx, sm, 1.0f, scores.ptr);
  gemm(gpu.ctx, gemm_shape(Trans::no, Trans::no, n, d, n, c.batch), 1.0f, scores.ptr, v.ptr, 0.0f, out.ptr);
  gpu.sync();
  return from_16<H>(out.to_host());
}

template <class H>
void unfused_case(CudaSession& session, const HalfCase& c) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const int64_t n = c.n, d = c.d;
  const auto q = rounded<H>(testing::normal_vector<float>(c.batch * n * d, 4, "q", 1.5));
  const auto k = rounded<H>(testing::normal_vector<float>(c.batch * n * d, 4, "k", 1.5));
  const auto v = rounded<H>(testing::normal_vector<float>(c.batch * n * d, 4, "v"));
  DeviceVector<H> dq(to_16<H>(q)), dk(to_16<H>(k)), dv(to_16<H>(v)), dfused(q.size());
  FlashShape s{.batch = c.batch, .seq_len = n, .head_dim = d, .mask = c.mask};
  s.tiles = default_flash_tiles(d);
  std::vector<double> qd(q.begin(), q.end()), kd(k.begin(), k.end()), vd(v.begin(), v.end()), ref(qd.size());
  flash_attention<double>(cpu.ctx, s, 1.0 / std::sqrt(double(d)), qd.data(), kd.data(), vd.data(), ref.data());
  const auto got = unfused_on_gpu<H>(gpu, c, dq, dk, dv);
  const auto plain = plain_attention<H>(c, n, q, k, v, [&](int64_t, int64_t i, int64_t j) { return c.mask.allows(i, j); });
  const double plain_err = testing::rel_fro(plain, ref), err = testing::rel_fro(got, ref);
  // Summation order differs (cuBLAS vs a loop), so a value near a rounding boundary may round the
  // other way: within half the type's own error of the host version, and no less accurate overall.
  EXPECT_LE(testing::rel_fro(got, plain), 0.5 * plain_err + 1e-7) << describe(c);
  EXPECT_LE(err, 1.1 * plain_err + 1e-7) << describe(c) << " unfused " << err << " plain " << plain_err;
  flash_attention(gpu.ctx, s, 1.0f / std::sqrt(float(d)), dq.ptr, dk.ptr, dv.ptr, dfused.ptr);
  gpu.sync();
  const std::vector<float> fused = from_16<H>(dfused.to_host());
  EXPECT_LE(testing::rel_fro(fused, ref), 2 * err + 1e-7) << describe(c) << " fused vs the unfused GPU path";
}

template <class H>
void all_unfused_cases(CudaSession& session) {
  AttentionMask causal;
  causal.causal = true;
  for (int64_t n : {1, 97, 256, 1025})
    for (int64_t d : {40, 64, 128})
      for (const AttentionMask& m : {AttentionMask{}, causal}) unfused_case<H>(session, {.n = n, .d = d, .mask = m});
}

template <class H>
void all_cases(CudaSession& session) {
  AttentionMask causal;
  causal.causal = true;
  AttentionMask window;
  window.window = 33;
  for (int64_t n : {1, 97, 256, 1025}) {
    for (int64_t d : {40, 64, 128}) {
      for (const AttentionMask& m : {AttentionMask{}, causal, window}) half_case<H>(session, {.n = n, .d = d, .mask = m});
    }
  }
  half_case<H>(session, {.n = 97, .nk = 300, .d = 64});
  half_case<H>(session, {.n = 300, .nk = 97, .d = 64, .mask = causal});
  for (int64_t block : {16, 64, 100}) half_case<H>(session, {.n = 513, .d = 64, .layout_block = block});
}

TEST(OpsCudaFlashHalf, Fp16WithinTwiceThePlainFp16Error) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  all_cases<Half>(session);
}

TEST(OpsCudaFlashHalf, Bf16WithinTwiceThePlainBf16Error) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  all_cases<BFloat16>(session);
}

TEST(OpsCudaFlashHalf, UnfusedFp16PathIsThePlainImplementation) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  all_unfused_cases<Half>(session);
}

TEST(OpsCudaFlashHalf, UnfusedBf16PathIsThePlainImplementation) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  all_unfused_cases<BFloat16>(session);
}

TEST(OpsCudaFlashHalf, SoftmaxOnTheCpuSaysUnsupportedNamingTheOp) {
  testing::CpuCase cpu(1);
  std::vector<Half> x(16);
  std::vector<BFloat16> y(16);
  const SoftmaxShape s{.rows = 4, .cols = 4, .ld = 4, .stride = 16};
  EXPECT_THROW(
      {
        try {
          softmax_rows(cpu.ctx, s, 1.0f, x.data());
        } catch (const UnsupportedError& e) {
          EXPECT_NE(std::string(e.what()).find("softmax_rows"), std::string::npos) << e.what();
          throw;
        }
      },
      UnsupportedError);
  EXPECT_THROW(softmax_rows(cpu.ctx, s, 1.0f, y.data()), UnsupportedError);
}

TEST(OpsCudaFlashHalf, CpuSaysUnsupportedNamingTheOp) {
  testing::CpuCase cpu(1);
  const FlashShape s{.batch = 1, .seq_len = 4, .head_dim = 8};
  std::vector<Half> x(32);
  try {
    flash_attention(cpu.ctx, s, 1.0f, x.data(), x.data(), x.data(), x.data());
    ADD_FAILURE() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("flash_attention"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attn::ops
