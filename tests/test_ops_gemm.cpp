// Batched GEMM against naive fp64 loops: every transpose pair, padded leading dimensions, batch
// strides, broadcast (stride 0) operands, alpha/beta, and both thread paths.
#include <gtest/gtest.h>

#include "ops/gemm.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::CpuCase;

template <class T>
std::vector<double> naive(const GemmShape& s, double alpha, const std::vector<T>& a, const std::vector<T>& b,
                          double beta, const std::vector<T>& c) {
  std::vector<double> out(c.begin(), c.end());
  for (int64_t p = 0; p < s.batch; ++p) {
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t j = 0; j < s.n; ++j) {
        double acc = 0.0;
        for (int64_t l = 0; l < s.k; ++l) {
          const double x = s.trans_a == Trans::no ? a[p * s.stride_a + i * s.lda + l] : a[p * s.stride_a + l * s.lda + i];
          const double y = s.trans_b == Trans::no ? b[p * s.stride_b + l * s.ldb + j] : b[p * s.stride_b + j * s.ldb + l];
          acc += x * y;
        }
        double& o = out[p * s.stride_c + i * s.ldc + j];
        o = alpha * acc + beta * o;
      }
    }
  }
  return out;
}

template <class T>
void check_case(GemmShape s, int threads, double tol) {
  CpuCase cc(threads);
  const int64_t rows_a = s.trans_a == Trans::no ? s.m : s.k, rows_b = s.trans_b == Trans::no ? s.k : s.n;
  const int64_t size_a = (s.stride_a == 0 ? 1 : s.batch) * std::max(s.stride_a, rows_a * s.lda);
  const int64_t size_b = (s.stride_b == 0 ? 1 : s.batch) * std::max(s.stride_b, rows_b * s.ldb);
  const int64_t size_c = s.batch * std::max(s.stride_c, s.m * s.ldc);
  auto a = testing::normal_vector<T>(size_a, 1, "a");
  auto b = testing::normal_vector<T>(size_b, 2, "b");
  auto c = testing::normal_vector<T>(size_c, 3, "c");
  const auto expect = naive(s, 0.75, a, b, -0.5, c);
  gemm<T>(cc.ctx, s, T(0.75), a.data(), b.data(), T(-0.5), c.data());
  EXPECT_LT(testing::max_abs_diff(c, expect), tol) << "m=" << s.m << " n=" << s.n << " k=" << s.k
                                                   << " batch=" << s.batch << " threads=" << threads;
}

TEST(OpsGemm, DenseShapeHelper) {
  const GemmShape s = gemm_shape(Trans::yes, Trans::no, 5, 7, 3, 4);
  EXPECT_EQ(s.lda, 5);
  EXPECT_EQ(s.ldb, 7);
  EXPECT_EQ(s.ldc, 7);
  EXPECT_EQ(s.stride_a, 15);
  EXPECT_EQ(s.stride_b, 21);
  EXPECT_EQ(s.stride_c, 35);
}

TEST(OpsGemm, AllTransposesPaddedAndBatched) {
  for (Trans ta : {Trans::no, Trans::yes}) {
    for (Trans tb : {Trans::no, Trans::yes}) {
      for (int64_t batch : {1, 3}) {
        for (int threads : {1, 2}) {
          GemmShape s = gemm_shape(ta, tb, 13, 9, 11, batch);
          s.lda += 3;  // padded rows
          s.ldb += 2;
          s.ldc += 5;
          const int64_t rows_a = ta == Trans::no ? s.m : s.k, rows_b = tb == Trans::no ? s.k : s.n;
          s.stride_a = rows_a * s.lda + 7;
          s.stride_b = rows_b * s.ldb + 1;
          s.stride_c = s.m * s.ldc + 4;
          check_case<float>(s, threads, 2e-5);
          check_case<double>(s, threads, 1e-12);
        }
      }
    }
  }
}

TEST(OpsGemm, BroadcastStrideZero) {
  for (int threads : {1, 2}) {
    GemmShape s = gemm_shape(Trans::no, Trans::yes, 8, 6, 5, 4);
    s.stride_b = 0;  // one B for every batch (a shared projection)
    check_case<double>(s, threads, 1e-12);
    s = gemm_shape(Trans::no, Trans::no, 8, 6, 5, 4);
    s.stride_a = 0;
    check_case<float>(s, threads, 2e-5);
  }
}

TEST(OpsGemm, ParallelBatchPath) {
  // Products large enough that batches run one per thread with single-threaded BLAS.
  GemmShape s = gemm_shape(Trans::no, Trans::yes, 70, 65, 66, 5);
  check_case<float>(s, 2, 1e-4);
  s.stride_b = 0;
  check_case<double>(s, 2, 1e-11);
}

TEST(OpsGemm, InvalidArgumentsAbort) {
  CpuCase cc(1);
  std::vector<float> a(16), b(16), c(16);
  GemmShape s = gemm_shape(Trans::no, Trans::no, 4, 4, 4);
  s.lda = 3;  // shorter than a row of A
  EXPECT_DEATH(gemm<float>(cc.ctx, s, 1.f, a.data(), b.data(), 0.f, c.data()), "lda");
}

}  // namespace
}  // namespace attn::ops
