// Workspace estimates for GPU cases, checked without a GPU (issue 8). A cuda case's estimate is the
// device scratch of the method's CUDA ops, so it must not follow the host thread count (the GPU
// keeps no per-thread scratch), and the estimate the runner reports adds exactly the cuBLAS
// workspace that the session keeps in every GPU case's workspace. test_cuda_memory checks the
// estimates against tracked device peaks where a device exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "methods/registry.hpp"
#include "runner/memory_estimate.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {


TEST(DeviceEstimates, FiniteAndIndependentOfHostThreadsOnCuda) {
  int checked = 0;
  for (const MethodInfo& info : MethodRegistry::instance().all()) {
    if (!info.runs_on(Device::cuda)) continue;
    for (bool causal : {false, true}) {
      if (causal && !info.supports_causal) continue;
      for (int64_t n : {int64_t{1024}, int64_t{4096}}) {
        const CaseShape cs{.batch = 1, .heads = 4, .seq_len = n, .head_dim = 64, .causal = causal,
                           .device = Device::cuda};
        ParamSet p;
        try {
          Realized r;
          p = resolve_params(info, one_knob_budget(info, 64, 0.9), cs, {}, r);
        } catch (const UnsupportedError&) {
          continue;  // not runnable at this shape on any device
        }
        const std::string what = info.name + (causal ? " causal" : "") + " N=" + std::to_string(n);
        const double one = info.workspace_bytes(cs, p, 1), many = info.workspace_bytes(cs, p, 16);
        EXPECT_TRUE(std::isfinite(one) && one >= 0) << what << ": " << one;
        EXPECT_EQ(one, many) << what << ": a GPU estimate must not scale with host threads";
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(DeviceEstimates, GpuOnlyScratchAppearsOnCudaAlone) {
  // mean-v keeps nothing on the CPU; its GPU scan keeps (chunks of 64 + 1) x d doubles per head.
  const MethodInfo* mean_v = MethodRegistry::instance().find("mean-v");
  const CaseShape cpu{.batch = 2, .heads = 3, .seq_len = 1000, .head_dim = 64};
  CaseShape gpu = cpu;
  gpu.device = Device::cuda;
  EXPECT_EQ(mean_v->workspace_bytes(cpu, {}, 2), 0.0);
  EXPECT_EQ(mean_v->workspace_bytes(gpu, {}, 2), 6.0 * (16 + 1) * 64 * 8);
  // flash: per-thread tiles on the CPU, none on the GPU (the fused kernels keep them on chip).
  const MethodInfo* flash = MethodRegistry::instance().find("flash");
  Realized r;
  const ParamSet p = resolve_params(*flash, {}, cpu, {}, r);
  EXPECT_GT(flash->workspace_bytes(cpu, p, 2), 0.0);
  EXPECT_LT(flash->workspace_bytes(cpu, p, 1), flash->workspace_bytes(cpu, p, 2));
  EXPECT_EQ(flash->workspace_bytes(gpu, p, 2), 0.0);
}

TEST(DeviceEstimates, RunnerAddsTheCublasWorkspaceOnCudaOnly) {
  const std::size_t blas = cuda_blas_workspace_bytes();
  if (!cuda_available()) EXPECT_EQ(blas, std::size_t{32} << 20) << "no device known: the Hopper size";
  EXPECT_TRUE(blas == (std::size_t{32} << 20) || blas == (std::size_t{4} << 20)) << blas;
  EXPECT_EQ(cuda_blas_workspace_bytes_for(8), std::size_t{4} << 20);
  EXPECT_EQ(cuda_blas_workspace_bytes_for(9), std::size_t{32} << 20);

  Case c;
  c.method = "performer";
  c.info = MethodRegistry::instance().find("performer");
  c.input.batch = 1;
  c.input.heads = 4;
  c.input.seq_len = 2048;
  c.input.head_dim = 64;
  c.params = resolve_params(*c.info, {.rank = 128}, c.shape(), {}, c.realized);
  const double cpu_method = c.info->workspace_bytes(c.shape(), c.params, 2);
  EXPECT_EQ(estimated_workspace_bytes(c, 2), cpu_method);
  EXPECT_EQ(estimate_case_memory(c, 2).workspace_bytes, cpu_method);

  c.device = Device::cuda;
  const double gpu_method = c.info->workspace_bytes(c.shape(), c.params, 2);
  EXPECT_NE(gpu_method, cpu_method) << "the GPU's linear-attention state is shared by all heads, not per worker";
  EXPECT_EQ(estimated_workspace_bytes(c, 2), gpu_method + static_cast<double>(blas));
  EXPECT_EQ(estimate_case_memory(c, 2).workspace_bytes, gpu_method + static_cast<double>(blas));
}

}  // namespace
}  // namespace attn::test
