// CPU vs GPU for MRA's selection ops and LARA's softmax with log-sum-exp: topk_indices must return
// exactly the CPU's positions (ties included: values drawn from a few levels so many are equal;
// k = 0, 1, n), fill_at the same array, layout_from_indices the same CSR from ids in any order;
// softmax_rows_lse matches to normalized MSE below 1e-7, all -inf rows included. Skips without a
// device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>

#include "core/rng.hpp"
#include "cuda_testing.hpp"
#include "ops/block_layout.hpp"
#include "ops/rowwise.hpp"
#include "ops/topk.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

template <class T>
void topk_case(CudaSession& session, int64_t batch, int64_t n, int64_t k, bool ties) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  auto x = testing::normal_vector<T>(batch * n, 1, "x");
  if (ties)
    for (T& v : x) v = std::round(v * T(2)) / T(2);  // a handful of levels: many equal values
  std::vector<int64_t> idx(static_cast<std::size_t>(std::max<int64_t>(1, batch * k)), -1);
  DeviceVector<T> dx(x);
  DeviceVector<int64_t> didx(idx);
  topk_indices<T>(cpu.ctx, batch, n, k, x.data(), idx.data());
  topk_indices<T>(gpu.ctx, batch, n, k, dx.ptr, didx.ptr);
  EXPECT_EQ(didx.to_host(), idx) << "n=" << n << " k=" << k << " ties=" << ties;
  fill_at<T>(cpu.ctx, batch, n, k, idx.data(), T(-7), x.data());
  fill_at<T>(gpu.ctx, batch, n, k, didx.ptr, T(-7), dx.ptr);
  EXPECT_EQ(dx.to_host(), x) << "fill_at n=" << n << " k=" << k;
}

TEST(OpsCudaSelect, TopkMatchesCpuExactly) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t n : {1, 97, 4096}) {
    for (int64_t k : {int64_t{0}, int64_t{1}, n / 3, n}) {
      for (bool ties : {false, true}) {
        topk_case<float>(session, 3, n, k, ties);
        topk_case<double>(session, 2, n, k, ties);
      }
    }
  }
}

TEST(OpsCudaSelect, LayoutFromIndicesMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  for (auto [heads, blocks, count] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {3, 8, 20}, {4, 33, 0}, {2, 40, 1600}}) {
    std::vector<int64_t> ids;
    for (int64_t h = 0; h < heads; ++h) {  // `count` distinct flat ids per head, shuffled
      std::vector<int64_t> all(static_cast<std::size_t>(blocks * blocks));
      std::iota(all.begin(), all.end(), int64_t{0});
      const Rng rng(static_cast<uint64_t>(h), "cuda-select", "ids");
      for (int64_t i = static_cast<int64_t>(all.size()) - 1; i > 0; --i)
        std::swap(all[i], all[static_cast<std::size_t>(rng.uniform(static_cast<uint64_t>(i)) * (i + 1))]);
      ids.insert(ids.end(), all.begin(), all.begin() + count);
    }
    std::vector<int64_t> row_ptr(static_cast<std::size_t>(heads * blocks + 1), -1);
    std::vector<int64_t> col_idx(static_cast<std::size_t>(std::max<int64_t>(1, heads * count)), -1);
    if (ids.empty()) ids.push_back(0);  // count 0: the entry still wants a valid pointer
    DeviceVector<int64_t> dids(ids), drp(row_ptr), dci(col_idx);
    layout_from_indices(cpu.ctx, heads, blocks, count, ids.data(), row_ptr.data(), col_idx.data());
    layout_from_indices(gpu.ctx, heads, blocks, count, dids.ptr, drp.ptr, dci.ptr);
    EXPECT_EQ(drp.to_host(), row_ptr) << "heads=" << heads << " blocks=" << blocks << " count=" << count;
    EXPECT_EQ(dci.to_host(), col_idx) << "heads=" << heads << " blocks=" << blocks << " count=" << count;
  }
}

TEST(OpsCudaSelect, SoftmaxRowsLseMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const RowShape s{.rows = 37, .cols = 300, .ld = 310, .stride = 37 * 310 + 5, .batch = 3};
  auto x = testing::normal_vector<float>(s.batch * s.stride, 2, "x", 3.0);
  for (int64_t c = 0; c < s.cols; ++c) x[4 * s.ld + c] = -std::numeric_limits<float>::infinity();  // an empty row
  std::vector<float> lse(static_cast<std::size_t>(s.batch * s.rows));
  DeviceVector<float> dx(x), dlse(lse);
  softmax_rows_lse<float>(cpu.ctx, s, x.data(), lse.data());
  softmax_rows_lse<float>(gpu.ctx, s, dx.ptr, dlse.ptr);
  EXPECT_LT(testing::nmse(dx.to_host(), x), 1e-7);
  const auto got = dlse.to_host();
  EXPECT_TRUE(std::isinf(got[4]) && got[4] < 0);
  std::vector<float> a, b;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (std::isfinite(lse[i])) {
      a.push_back(got[i]);
      b.push_back(lse[i]);
    }
  EXPECT_LT(testing::nmse(a, b), 1e-7);
}

}  // namespace
}  // namespace attn::ops
