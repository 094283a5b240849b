// CPU vs GPU for the ops of the hybrid, pooling and SOFT-style methods: merge_partials (with and
// without partial 2's denominator, log scales and the Scatterbrain correction, empty partials),
// block_sparse_product on random CSR layouts (block not dividing N, several layout heads),
// window_pool (box and Gaussian windows), instance_norm (in place too) and gaussian_kernel. Same
// host inputs on both devices, normalized MSE below 1e-7. Skips without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>

#include "core/rng.hpp"
#include "cuda_testing.hpp"
#include "ops/block_layout.hpp"
#include "ops/block_sparse_product.hpp"
#include "ops/gaussian_kernel.hpp"
#include "ops/instance_norm.hpp"
#include "ops/merge_partials.hpp"
#include "ops/window_pool.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

template <class T>
struct Both {
  explicit Both(std::vector<T> v) : host(std::move(v)), dev(host) {}
  T* h() { return host.data(); }
  T* d() { return dev.ptr; }
  void expect_match(const std::string& what) const { EXPECT_LT(testing::nmse(dev.to_host(), host), 1e-7) << what; }
  std::vector<T> host;
  DeviceVector<T> dev;
};

template <class T>
Both<T> normal(int64_t n, uint64_t seed, const char* purpose, double scale = 1.0) {
  return Both<T>(testing::normal_vector<T>(n, seed, purpose, scale));
}

template <class T>
void merge_case(CudaSession& session, int64_t group, bool with_den, bool with_sub) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const MergeShape s{.batch = 3, .rows = 97, .dim = 40, .group = group, .den_floor = 1e-3};
  const int64_t groups = (s.rows + group - 1) / group;
  auto o1 = normal<T>(s.batch * s.rows * s.dim, 1, "o1");
  auto lse_host = testing::normal_vector<T>(s.batch * s.rows, 2, "lse", 3.0);
  lse_host[5] = -std::numeric_limits<T>::infinity();  // partial 1 empty for this row
  auto lse1 = Both<T>(lse_host);
  auto num2 = normal<T>(s.batch * groups * s.dim, 3, "num2");
  auto den2 = Both<T>(testing::uniform_vector<T>(s.batch * groups, 4, "den2", 0.5, 2.0));
  auto log_scale = normal<T>(s.batch * groups, 5, "ls", 2.0);
  auto head_scale = normal<T>(s.batch, 6, "hs");
  auto sub_num = normal<T>(s.batch * s.rows * s.dim, 7, "sub", 0.1);
  auto sub_den = Both<T>(testing::uniform_vector<T>(s.batch * s.rows, 8, "subd", 0.0, 0.3));
  auto out = Both<T>(std::vector<T>(o1.host.size()));
  merge_partials<T>(cpu.ctx, s, o1.h(), lse1.h(), num2.h(), with_den ? den2.h() : nullptr, log_scale.h(), head_scale.h(),
                    with_sub ? sub_num.h() : nullptr, with_sub ? sub_den.h() : nullptr, out.h());
  merge_partials<T>(gpu.ctx, s, o1.d(), lse1.d(), num2.d(), with_den ? den2.d() : nullptr, log_scale.d(), head_scale.d(),
                    with_sub ? sub_num.d() : nullptr, with_sub ? sub_den.d() : nullptr, out.d());
  out.expect_match("merge_partials group=" + std::to_string(group) + " den=" + std::to_string(with_den) +
                   " sub=" + std::to_string(with_sub));
}

TEST(OpsCudaHybrid, MergePartialsMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t group : {1, 16, 200}) {
    for (bool den : {false, true}) {
      merge_case<float>(session, group, den, den);
      merge_case<double>(session, group, den, !den);
    }
  }
}

template <class T>
void product_case(CudaSession& session, int64_t n, int64_t block, int64_t layout_heads, int64_t dv) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const BlockLayout layout = random_layout(n, block, layout_heads, 3, Rng(9, "cuda-hybrid", "layout"));
  BlockProductShape s{.batch = 4, .seq_len = n, .features = 24, .value_dim = dv};
  auto x = normal<T>(s.batch * n * s.features, 10, "x", 0.3);
  auto y = normal<T>(s.batch * n * s.features, 11, "y", 0.3);
  auto v = normal<T>(s.batch * n * dv, 12, "v");
  auto out = Both<T>(std::vector<T>(v.host.size())), rowsum = Both<T>(std::vector<T>(s.batch * n));
  BlockProductShape gs = s;
  s.layout = upload_layout(cpu.ctx, layout, "layout");
  gs.layout = upload_layout(gpu.ctx, layout, "layout");
  block_sparse_product<T>(cpu.ctx, s, x.h(), y.h(), v.h(), out.h(), rowsum.h());
  block_sparse_product<T>(gpu.ctx, gs, x.d(), y.d(), v.d(), out.d(), rowsum.d());
  const std::string what = "N=" + std::to_string(n) + " block=" + std::to_string(block) + " dv=" + std::to_string(dv);
  out.expect_match("block_sparse_product out " + what);
  rowsum.expect_match("block_sparse_product rowsum " + what);
}

TEST(OpsCudaHybrid, BlockSparseProductMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  product_case<float>(session, 256, 32, 1, 64);
  product_case<float>(session, 1025, 64, 2, 40);
  product_case<float>(session, 97, 16, 4, 200);
  product_case<double>(session, 300, 50, 2, 33);
}

TEST(OpsCudaHybrid, PoolingNormsAndKernelsMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  for (auto [window, stride, sigma] : {std::tuple{PoolWindow::box, 7, 0.0}, std::tuple{PoolWindow::box, 1, 0.0},
                                       std::tuple{PoolWindow::gaussian, 8, 3.0}, std::tuple{PoolWindow::gaussian, 5, 0.0}}) {
    const WindowPoolShape s{.batch = 3, .seq_len = 97, .dim = 33, .stride = stride, .window = window, .sigma = sigma};
    auto x = normal<float>(s.batch * s.seq_len * s.dim, 13, "x");
    auto out = Both<float>(std::vector<float>(s.batch * pooled_rows(s) * s.dim));
    window_pool<float>(cpu.ctx, s, x.h(), out.h());
    window_pool<float>(gpu.ctx, s, x.d(), out.d());
    out.expect_match("window_pool stride=" + std::to_string(stride) + " sigma=" + std::to_string(sigma));
  }
  auto x = normal<float>(3 * 97 * 40, 14, "x", 2.0);
  auto y = Both<float>(std::vector<float>(x.host.size()));
  instance_norm<float>(cpu.ctx, 3, 97, 40, 1e-5, x.h(), y.h());
  instance_norm<float>(gpu.ctx, 3, 97, 40, 1e-5, x.d(), y.d());
  y.expect_match("instance_norm");
  instance_norm<float>(cpu.ctx, 3, 97, 40, 1e-5, x.h(), x.h());
  instance_norm<float>(gpu.ctx, 3, 97, 40, 1e-5, x.d(), x.d());
  x.expect_match("instance_norm in place");

  const GaussianKernelShape gk{.batch = 2, .rows = 37, .cols = 70, .dim = 16};
  auto a = normal<float>(gk.batch * gk.rows * gk.dim, 15, "a"), b = normal<float>(gk.batch * gk.cols * gk.dim, 16, "b");
  auto k = Both<float>(std::vector<float>(gk.batch * gk.rows * gk.cols));
  gaussian_kernel<float>(cpu.ctx, gk, 0.5f, a.h(), b.h(), k.h());
  gaussian_kernel<float>(gpu.ctx, gk, 0.5f, a.d(), b.d(), k.d());
  k.expect_match("gaussian_kernel");
}

}  // namespace
}  // namespace attn::ops
