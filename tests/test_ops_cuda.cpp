// CPU vs GPU for gemm and softmax_rows (the other ported ops have their own test_ops_cuda_*.cpp): the
// same host inputs on both devices, normalized MSE below 1e-7 (ggml's test-backend-ops rule). Skips
// cleanly without a device; ops without a CUDA version must say `unsupported` with the op's name,
// never run silently on the CPU.
#include <gtest/gtest.h>

#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "ops/gemm.hpp"
#include "ops/softmax.hpp"
#include "ops/attention_matrix.hpp"
#include "cuda_testing.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

#define SKIP_WITHOUT_GPU() ATTN_SKIP_WITHOUT_GPU()

template <class T>
void gemm_case(CudaSession& session, GemmShape s) {
  testing::CpuCase cpu(2);
  Workspace gpu_ws(Device::cuda);
  const Context gpu = session.make_context(gpu_ws, 1);
  const int64_t rows_a = s.trans_a == Trans::no ? s.m : s.k, rows_b = s.trans_b == Trans::no ? s.k : s.n;
  // A stride of 0 broadcasts one matrix to every batch.
  const auto a = testing::normal_vector<T>((s.stride_a ? s.batch : 1) * std::max(s.stride_a, rows_a * s.lda), 1, "a");
  const auto b = testing::normal_vector<T>((s.stride_b ? s.batch : 1) * std::max(s.stride_b, rows_b * s.ldb), 2, "b");
  auto c = testing::normal_vector<T>(s.batch * s.stride_c, 3, "c");
  DeviceVector<T> da(a), db(b), dc(c);
  gemm<T>(cpu.ctx, s, T(1.5), a.data(), b.data(), T(0.5), c.data());
  gemm<T>(gpu, s, T(1.5), da.ptr, db.ptr, T(0.5), dc.ptr);
  session.synchronize();
  EXPECT_LT(testing::nmse(dc.to_host(), c), 1e-7) << "m=" << s.m << " n=" << s.n << " k=" << s.k;
  EXPECT_GE(gpu_ws.peak_bytes(), session.blas_workspace_bytes());  // cuBLAS's workspace is tracked
}

TEST(OpsCuda, GemmMatchesCpu) {
  SKIP_WITHOUT_GPU();
  CudaSession session;
  for (Trans ta : {Trans::no, Trans::yes}) {
    for (Trans tb : {Trans::no, Trans::yes}) {
      GemmShape s = gemm_shape(ta, tb, 67, 45, 129, 3);
      gemm_case<float>(session, s);
      gemm_case<double>(session, s);
      s.stride_b = 0;  // broadcast B
      gemm_case<float>(session, s);
    }
  }
}

template <class T>
void softmax_case(CudaSession& session, SoftmaxShape s, T scale) {
  testing::CpuCase cpu(2);
  Workspace gpu_ws(Device::cuda);
  const Context gpu = session.make_context(gpu_ws, 1);
  auto x = testing::normal_vector<T>(s.batch * s.stride, 4, "x", 2.0);
  DeviceVector<T> dx(x);
  softmax_rows<T>(cpu.ctx, s, scale, x.data());
  softmax_rows<T>(gpu, s, scale, dx.ptr);
  session.synchronize();
  const auto y = dx.to_host();
  EXPECT_LT(testing::nmse(y, x), 1e-7) << "rows=" << s.rows << " cols=" << s.cols << " causal=" << s.causal;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (x[i] == T(0)) EXPECT_EQ(y[i], T(0)) << "masked entry " << i;
  }
}

TEST(OpsCuda, SoftmaxMatchesCpu) {
  SKIP_WITHOUT_GPU();
  CudaSession session;
  for (bool causal : {false, true}) {
    for (int64_t cols : {1, 31, 1000, 5000}) {
      SoftmaxShape s{.rows = 33, .cols = cols, .ld = cols + 3, .stride = 33 * (cols + 3) + 1, .batch = 2,
                     .causal = causal, .causal_offset = causal ? -2 : 0};
      softmax_case<float>(session, s, 0.7f);
      softmax_case<double>(session, s, -0.3);
    }
  }
}

TEST(OpsCuda, OpsWithoutCudaSayUnsupported) {
  SKIP_WITHOUT_GPU();
  CudaSession session;
  Workspace gpu_ws(Device::cuda);
  const Context gpu = session.make_context(gpu_ws, 1);
  // attention_matrix stays CPU-only (its callers, the oracles, loop over the result on the host).
  DeviceVector<float> x(std::size_t(16)), a(std::size_t(16));
  try {
    attention_matrix<float>(gpu, {.batch = 1, .n = 4, .d = 4}, x.ptr, x.ptr, a.ptr);
    ADD_FAILURE() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("attention_matrix"), std::string::npos) << e.what();  // names the op
  }
}

TEST(OpsCuda, SessionNeedsADevice) {
  if (cuda_available()) GTEST_SKIP() << "a device is present; this checks the no-device path";
  EXPECT_THROW(CudaSession session, CaseError);  // UnsupportedError in CPU-only builds, CaseError otherwise
}

}  // namespace
}  // namespace attn::ops
