// CPU vs GPU for the fused exact attention (ops/cuda/flash_attention.cu): the same host inputs on
// both devices, normalized MSE of the outputs and of the log-sum-exp below 1e-7 (fp32) over awkward
// sizes (N 1, 97, 256, 1025; d 40, 64, 97, 128, 200), every mask the CPU op supports, keys longer and
// shorter than the queries, and block layouts whose block is and is not a multiple of the GPU's
// query tile. A row with no allowed key must be 0 with LSE +inf on both. Skips without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "cuda_testing.hpp"
#include "ops/block_layout.hpp"
#include "ops/flash_attention.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

struct FlashCase {
  int64_t batch = 2, n = 97, nk = 0, d = 64;
  AttentionMask mask;
  int64_t layout_block = 0;  // 0: no layout; else a random layout with 2 active blocks per row
  int64_t layout_heads = 1;
};

std::string describe(const FlashCase& c) {
  return "B=" + std::to_string(c.batch) + " N=" + std::to_string(c.n) + " Nk=" + std::to_string(c.nk) +
         " d=" + std::to_string(c.d) + " causal=" + std::to_string(c.mask.causal) +
         " window=" + std::to_string(c.mask.window) + " block=" + std::to_string(c.mask.block) +
         " halo=" + std::to_string(c.mask.block_halo) + " layout_block=" + std::to_string(c.layout_block);
}

// LSE entries compared where finite on the CPU; +inf (empty rows) must match exactly.
template <class T>
void expect_lse_match(const std::vector<T>& gpu, const std::vector<T>& cpu, const std::string& what) {
  std::vector<T> a, b;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    if (std::isinf(cpu[i])) {
      EXPECT_TRUE(std::isinf(gpu[i]) && gpu[i] > 0) << "empty row " << i << " " << what;
    } else {
      a.push_back(gpu[i]);
      b.push_back(cpu[i]);
    }
  }
  if (!b.empty()) EXPECT_LT(testing::nmse(a, b), 1e-7) << "lse " << what;
}

template <class T>
void flash_case(CudaSession& session, const FlashCase& c, uint64_t seed = 1) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  FlashShape s{.batch = c.batch, .seq_len = c.n, .head_dim = c.d, .mask = c.mask};
  s.tiles = default_flash_tiles(c.d);
  s.seq_len_k = c.nk;
  const int64_t nk = s.keys();
  const auto q = testing::normal_vector<T>(c.batch * c.n * c.d, seed, "q", 1.5);
  const auto k = testing::normal_vector<T>(c.batch * nk * c.d, seed, "k", 1.5);
  const auto v = testing::normal_vector<T>(c.batch * nk * c.d, seed, "v");
  std::vector<T> out(q.size(), std::numeric_limits<T>::quiet_NaN()), lse(c.batch * c.n);
  DeviceVector<T> dq(q), dk(k), dv(v), dout(out), dlse(lse);
  FlashShape gs = s;
  if (c.layout_block > 0) {
    const BlockLayout layout = random_layout(c.n, c.layout_block, c.layout_heads, 2, Rng(seed, "flash-test", "layout"));
    s.layout = upload_layout(cpu.ctx, layout, "layout");
    gs.layout = upload_layout(gpu.ctx, layout, "layout");
  }
  const T scale = T(1) / std::sqrt(T(c.d));
  flash_attention<T>(cpu.ctx, s, scale, q.data(), k.data(), v.data(), out.data(), lse.data());
  flash_attention<T>(gpu.ctx, gs, scale, dq.ptr, dk.ptr, dv.ptr, dout.ptr, dlse.ptr);
  gpu.sync();
  const auto got = dout.to_host();
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i])) {
      ADD_FAILURE() << "non-finite output at " << i << " " << describe(c);
      break;
    }
  }
  EXPECT_LT(testing::nmse(got, out), 1e-7) << describe(c);
  expect_lse_match(dlse.to_host(), lse, describe(c));
}

TEST(OpsCudaFlash, MatchesCpuOnAwkwardSizesAndMasks) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  AttentionMask window;
  window.window = 17;
  AttentionMask causal_window = window;
  causal_window.causal = true;
  AttentionMask blocks;
  blocks.block = 32;
  AttentionMask halo = blocks;
  halo.block_halo = 8;
  AttentionMask causal;
  causal.causal = true;
  for (int64_t n : {1, 97, 256, 1025}) {
    for (int64_t d : {40, 64, 128}) {
      for (const AttentionMask& m : {AttentionMask{}, causal, window, causal_window, blocks, halo}) {
        flash_case<float>(session, {.batch = 3, .n = n, .d = d, .mask = m});
      }
    }
  }
}

TEST(OpsCudaFlash, OddAndLargeHeadDims) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  AttentionMask causal;
  causal.causal = true;
  for (int64_t d : {1, 33, 97, 200, 256}) {
    flash_case<float>(session, {.batch = 2, .n = 193, .d = d});
    flash_case<float>(session, {.batch = 2, .n = 193, .d = d, .mask = causal});
  }
}

TEST(OpsCudaFlash, KeysLongerOrShorterThanQueries) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  AttentionMask causal;
  causal.causal = true;
  AttentionMask window;
  window.window = 40;
  for (auto [n, nk] : {std::pair<int64_t, int64_t>{97, 300}, {300, 97}, {1, 65}, {130, 1}}) {
    for (const AttentionMask& m : {AttentionMask{}, causal, window}) {
      flash_case<float>(session, {.batch = 2, .n = n, .nk = nk, .d = 64, .mask = m});
    }
  }
}

TEST(OpsCudaFlash, BlockLayouts) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  AttentionMask causal;
  causal.causal = true;
  // 64 and 128: tiles align with the layout; 16 and 100: tiles restart at every layout block;
  // 1025 rows leave a one-token last block.
  for (int64_t block : {16, 64, 100, 128}) {
    for (int64_t n : {256, 1025}) {
      flash_case<float>(session, {.batch = 4, .n = n, .d = 64, .layout_block = block, .layout_heads = 2});
      flash_case<float>(session, {.batch = 4, .n = n, .d = 40, .mask = causal, .layout_block = block});
    }
  }
}

TEST(OpsCudaFlash, DoublePrecision) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  AttentionMask causal;
  causal.causal = true;
  for (int64_t d : {40, 64, 128, 256}) {
    flash_case<double>(session, {.batch = 2, .n = 257, .d = d});
    flash_case<double>(session, {.batch = 2, .n = 257, .d = d, .mask = causal, .layout_block = 64});
  }
}

TEST(OpsCudaFlash, RowsWithoutKeysAreZero) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  // Causal with fewer keys than queries: rows past the keys still see keys 0..nk-1; a window of 2
  // around rows far past the last key sees none.
  AttentionMask m;
  m.window = 2;
  flash_case<float>(session, {.batch = 2, .n = 200, .nk = 50, .d = 64, .mask = m});
}

TEST(OpsCudaFlash, HeadDimBeyondTheKernelIsUnsupported) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  testing::GpuCase gpu(session);
  FlashShape s{.batch = 1, .seq_len = 4, .head_dim = 300};
  DeviceVector<float> x(std::size_t(4 * 300));
  try {
    flash_attention<float>(gpu.ctx, s, 1.f, x.ptr, x.ptr, x.ptr, x.ptr);
    ADD_FAILURE() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("flash_attention"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attn::ops
