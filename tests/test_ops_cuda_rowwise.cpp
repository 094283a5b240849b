// CPU vs GPU for the small data-movement ops: every row-wise helper (ops/rowwise.hpp, on padded,
// batched blocks), row gathers and scatters, segment means (dividing and T2T-ViT-uneven segments),
// and mean_rows (bidirectional and causal, long enough for several scan chunks). Same host inputs
// on both devices, normalized MSE below 1e-7; counts returned by an op must be equal. Skips without
// a device.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "cuda_testing.hpp"
#include "ops/gather.hpp"
#include "ops/reduce.hpp"
#include "ops/rowwise.hpp"
#include "ops/segment_means.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

// A host vector and its device copy; the op runs on each, then the two are compared.
template <class T>
struct Both {
  explicit Both(std::vector<T> v) : host(std::move(v)), dev(host) {}
  T* h() { return host.data(); }
  T* d() { return dev.ptr; }
  void expect_match(const std::string& what, double tol = 1e-7) const {
    EXPECT_LT(testing::nmse(dev.to_host(), host), tol) << what;
  }
  std::vector<T> host;
  DeviceVector<T> dev;
};

template <class T>
Both<T> normal(int64_t n, uint64_t seed, const char* purpose, double scale = 1.0) {
  return Both<T>(testing::normal_vector<T>(n, seed, purpose, scale));
}

// 3 blocks of 37 x 70 with row pitch 75 and 3 extra elements between blocks.
RowShape padded_shape() { return {.rows = 37, .cols = 70, .ld = 75, .stride = 37 * 75 + 3, .batch = 3}; }

template <class T>
void rowwise_reductions(CudaSession& session) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const RowShape s = padded_shape();
  const int64_t size = s.batch * s.stride, rows = s.batch * s.rows, cols = s.batch * s.cols;
  auto x = normal<T>(size, 1, "x", 2.0);
  auto out_r = Both<T>(std::vector<T>(rows)), out_c = Both<T>(std::vector<T>(cols));

  row_sq_norms<T>(cpu.ctx, s, T(0.5), x.h(), out_r.h());
  row_sq_norms<T>(gpu.ctx, s, T(0.5), x.d(), out_r.d());
  out_r.expect_match("row_sq_norms");
  col_sq_norms<T>(cpu.ctx, s, T(0.5), x.h(), out_c.h());
  col_sq_norms<T>(gpu.ctx, s, T(0.5), x.d(), out_c.d());
  out_c.expect_match("col_sq_norms");
  col_sums<T>(cpu.ctx, s, T(-2), x.h(), out_c.h());
  col_sums<T>(gpu.ctx, s, T(-2), x.d(), out_c.d());
  out_c.expect_match("col_sums");
  row_sums<T>(cpu.ctx, s, x.h(), out_r.h());
  row_sums<T>(gpu.ctx, s, x.d(), out_r.d());
  out_r.expect_match("row_sums");
  row_logsumexp<T>(cpu.ctx, s, x.h(), out_r.h());
  row_logsumexp<T>(gpu.ctx, s, x.d(), out_r.d());
  out_r.expect_match("row_logsumexp");
  auto bmax = Both<T>(std::vector<T>{T(-1), T(100), T(0.5)});
  block_max<T>(cpu.ctx, s, true, x.h(), bmax.h());
  block_max<T>(gpu.ctx, s, true, x.d(), bmax.d());
  bmax.expect_match("block_max accumulate");
  block_max<T>(cpu.ctx, s, false, x.h(), bmax.h());
  block_max<T>(gpu.ctx, s, false, x.d(), bmax.d());
  bmax.expect_match("block_max");
}

template <class T>
void rowwise_updates(CudaSession& session) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const RowShape s = padded_shape();
  const int64_t size = s.batch * s.stride, rows = s.batch * s.rows, cols = s.batch * s.cols;
  auto x = normal<T>(size, 2, "x");
  auto rb = normal<T>(rows, 3, "rb"), cb = normal<T>(cols, 4, "cb");
  add_bias<T>(cpu.ctx, s, rb.h(), cb.h(), s.cols, x.h());
  add_bias<T>(gpu.ctx, s, rb.d(), cb.d(), s.cols, x.d());
  x.expect_match("add_bias");
  add_bias<T>(cpu.ctx, s, nullptr, cb.h(), 0, x.h());
  add_bias<T>(gpu.ctx, s, nullptr, cb.d(), 0, x.d());
  x.expect_match("add_bias shared column bias");
  scale_rows_cols<T>(cpu.ctx, s, rb.h(), cb.h(), x.h());
  scale_rows_cols<T>(gpu.ctx, s, rb.d(), cb.d(), x.d());
  x.expect_match("scale_rows_cols");
  auto y = Both<T>(std::vector<T>(static_cast<std::size_t>(size)));
  normalize_rows<T>(cpu.ctx, s, T(3), x.h(), y.h());
  normalize_rows<T>(gpu.ctx, s, T(3), x.d(), y.d());
  y.expect_match("normalize_rows");
  normalize_rows<T>(cpu.ctx, s, T(2), x.h(), x.h());
  normalize_rows<T>(gpu.ctx, s, T(2), x.d(), x.d());
  x.expect_match("normalize_rows in place");
  auto shift = Both<T>(std::vector<T>{T(1), T(-0.5), T(2)});
  exp_shifted<T>(cpu.ctx, s, shift.h(), x.h());
  exp_shifted<T>(gpu.ctx, s, shift.d(), x.d());
  x.expect_match("exp_shifted");
  auto z = normal<T>(size, 5, "z", 3.0);
  auto sum = Both<T>(std::vector<T>(rows)), geo = Both<T>(std::vector<T>(rows));
  exp_rows_with_stats<T>(cpu.ctx, s, z.h(), sum.h(), geo.h());
  exp_rows_with_stats<T>(gpu.ctx, s, z.d(), sum.d(), geo.d());
  z.expect_match("exp_rows_with_stats x");
  sum.expect_match("exp_rows_with_stats sum");
  geo.expect_match("exp_rows_with_stats geomean");
  auto a = normal<T>(1000, 6, "a"), b = normal<T>(1000, 7, "b");
  axpby<T>(cpu.ctx, 1000, T(2), a.h(), T(-0.5), b.h());
  axpby<T>(gpu.ctx, 1000, T(2), a.d(), T(-0.5), b.d());
  b.expect_match("axpby");
  axpby<T>(cpu.ctx, 1000, T(3), a.h(), T(0), b.h());
  axpby<T>(gpu.ctx, 1000, T(3), a.d(), T(0), b.d());
  b.expect_match("axpby beta 0");
  rsqrt_inplace<T>(cpu.ctx, 1000, b.h());  // about half the entries are <= 0 and become 0
  rsqrt_inplace<T>(gpu.ctx, 1000, b.d());
  b.expect_match("rsqrt_inplace");
}

template <class T>
void guarded_division(CudaSession& session, int64_t rows, bool with_fallback) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const RowShape s{.rows = rows, .cols = 9, .ld = 11, .stride = rows * 11, .batch = 2};
  auto x = normal<T>(s.batch * s.stride, 8, "x");
  auto fb = normal<T>(s.batch * s.stride, 9, "fb");
  std::vector<T> den_host = testing::uniform_vector<T>(s.batch * rows, 10, "den", 0.5, 2.0);
  den_host[1] = T(1e-9);  // below rel_tau * median
  den_host[2] = T(-1);
  den_host[rows + 3] = std::numeric_limits<T>::infinity();
  den_host[rows] = T(0);
  auto den = Both<T>(den_host);
  const int64_t bad_cpu = divide_rows_guarded<T>(cpu.ctx, s, den.h(), 0.1, with_fallback ? fb.h() : nullptr, x.h());
  const int64_t bad_gpu = divide_rows_guarded<T>(gpu.ctx, s, den.d(), 0.1, with_fallback ? fb.d() : nullptr, x.d());
  EXPECT_EQ(bad_gpu, bad_cpu) << "rows=" << rows;
  EXPECT_GE(bad_cpu, 4);
  // A -inf or NaN in a non-fallback bad row appears on both sides; compare finite entries only.
  std::vector<T> got = x.dev.to_host(), a, b;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isfinite(x.host[i])) {
      a.push_back(got[i]);
      b.push_back(x.host[i]);
    } else {
      EXPECT_FALSE(std::isfinite(got[i])) << i;
    }
  }
  EXPECT_LT(testing::nmse(a, b), 1e-7) << "divide_rows_guarded rows=" << rows << " fallback=" << with_fallback;
}

TEST(OpsCudaRowwise, ReductionsMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  rowwise_reductions<float>(session);
  rowwise_reductions<double>(session);
}

TEST(OpsCudaRowwise, UpdatesMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  rowwise_updates<float>(session);
  rowwise_updates<double>(session);
}

TEST(OpsCudaRowwise, GuardedDivisionMatchesCpuMedianAndCount) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t rows : {8, 97, 1000}) {  // even and odd row counts: the median's position differs
    guarded_division<float>(session, rows, true);
    guarded_division<float>(session, rows, false);
    guarded_division<double>(session, rows, true);
  }
}

template <class T>
void gather_case(CudaSession& session, bool shared) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const GatherShape s{.batch = 3, .src_rows = 50, .count = 17, .dim = 33, .shared_index = shared};
  std::vector<int64_t> idx_host;
  for (int64_t i = 0; i < (shared ? 1 : s.batch) * s.count; ++i) idx_host.push_back((i * 7 + 3) % s.src_rows);
  DeviceVector<int64_t> idx(idx_host);
  auto x = normal<T>(s.batch * s.src_rows * s.dim, 11, "x");
  auto out = normal<T>(s.batch * s.count * s.dim, 12, "out");
  gather_rows<T>(cpu.ctx, s, idx_host.data(), x.h(), T(1.5), T(-1), out.h());
  gather_rows<T>(gpu.ctx, s, idx.ptr, x.d(), T(1.5), T(-1), out.d());
  out.expect_match("gather_rows");
  gather_rows<T>(cpu.ctx, s, idx_host.data(), x.h(), T(1), T(0), out.h());
  gather_rows<T>(gpu.ctx, s, idx.ptr, x.d(), T(1), T(0), out.d());
  out.expect_match("gather_rows beta 0");
  auto dst = normal<T>(s.batch * s.src_rows * s.dim, 13, "dst");
  scatter_rows<T>(cpu.ctx, s, idx_host.data(), out.h(), dst.h());
  scatter_rows<T>(gpu.ctx, s, idx.ptr, out.d(), dst.d());
  dst.expect_match("scatter_rows");
}

TEST(OpsCudaGather, GatherAndScatterMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (bool shared : {false, true}) {
    gather_case<float>(session, shared);
    gather_case<double>(session, shared);
  }
}

TEST(OpsCudaGather, OutOfRangeIndexPoisonsTheRow) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  testing::GpuCase gpu(session);
  const GatherShape s{.batch = 1, .src_rows = 4, .count = 2, .dim = 3};
  DeviceVector<int64_t> idx(std::vector<int64_t>{1, 9});
  DeviceVector<float> x(std::vector<float>(12, 1.f)), out(std::size_t(6));
  gather_rows<float>(gpu.ctx, s, idx.ptr, x.ptr, 1.f, 0.f, out.ptr);
  const auto got = out.to_host();
  EXPECT_EQ(got[0], 1.f);
  EXPECT_TRUE(std::isnan(got[3]) && std::isnan(got[5]));
}

template <class T>
void means_case(CudaSession& session, int64_t n, int64_t segments) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const SegmentShape s{.batch = 3, .seq_len = n, .dim = 24, .segments = segments};
  auto x = normal<T>(s.batch * n * s.dim, 14, "x");
  auto out = Both<T>(std::vector<T>(s.batch * segments * s.dim));
  segment_means<T>(cpu.ctx, s, T(0.7), x.h(), out.h());
  segment_means<T>(gpu.ctx, s, T(0.7), x.d(), out.d());
  out.expect_match("segment_means N=" + std::to_string(n) + " segments=" + std::to_string(segments));
  for (bool causal : {false, true}) {
    auto mean = Both<T>(std::vector<T>(x.host.size()));
    mean_rows<T>(cpu.ctx, s.batch, n, s.dim, causal, x.h(), mean.h());
    mean_rows<T>(gpu.ctx, s.batch, n, s.dim, causal, x.d(), mean.d());
    mean.expect_match("mean_rows N=" + std::to_string(n) + " causal=" + std::to_string(causal));
  }
}

TEST(OpsCudaReduce, SegmentMeansAndMeanRowsMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (auto [n, segments] : {std::pair<int64_t, int64_t>{1, 1}, {97, 8}, {256, 64}, {1025, 33}, {1025, 1025}}) {
    means_case<float>(session, n, segments);
    means_case<double>(session, n, segments);
  }
}

}  // namespace
}  // namespace attn::ops
