// GPU timing pieces: the CUDA event timer, the L2 flusher, the device facts and NVML clocks. On a
// machine without a device (or in a CPU-only build) the device tests skip with the reason, and what
// must hold there (no device described, timers refuse clearly) is checked instead.
#include <gtest/gtest.h>

#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "core/gpu_timing.hpp"
#include "core/cuda_session.hpp"
#include "ops/gemm.hpp"

namespace attn {
namespace {

TEST(GpuTiming, WithoutADeviceNothingIsDescribedAndTimersRefuse) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present; the device tests below cover it";
  EXPECT_FALSE(query_cuda_info().present);
  EXPECT_TRUE(cuda_pci_bus_id().empty());
  EXPECT_FALSE(read_gpu_clocks().available);
#if !ATTNBENCH_HAVE_CUDA
  EXPECT_THROW(DeviceTimer timer(nullptr), UnsupportedError);
  EXPECT_THROW(L2Flusher flusher(nullptr), UnsupportedError);
#endif
}

TEST(GpuTiming, ThrottleReasonNamesSkipIdle) {
  GpuClocks c;
  c.throttle_mask = 0x1 | 0x4 | 0x40;
  EXPECT_EQ(c.throttle_reasons(), (std::vector<std::string>{"sw_power_cap", "hw_thermal_slowdown"}));
}

TEST(GpuTiming, EventsTimeQueuedWorkAndLongerWorkTakesLonger) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device on this machine (or a CPU-only build)";
  const CudaInfo info = query_cuda_info();
  ASSERT_TRUE(info.present);
  EXPECT_GT(info.sm_count, 0);
  EXPECT_GT(info.memory_bytes, 0);
  EXPECT_FALSE(info.cublas.empty());
  EXPECT_FALSE(cuda_pci_bus_id().empty());

  CudaSession session;
  Workspace ws(Device::cuda);
  const Context ctx = session.make_context(ws, 1);
  const int64_t n = 2048;
  float* a = ws.get<float>("a", n * n);
  float* c = ws.get<float>("c", n * n);
  fill_zero(a, Device::cuda, n * n * sizeof(float));
  DeviceTimer timer(ctx.stream);
  auto time_gemms = [&](int count) {
    timer.start();
    for (int i = 0; i < count; ++i)
      ops::gemm<float>(ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, n, n), 1.0f, a, a, 0.0f, c);
    return timer.stop_ms();
  };
  time_gemms(2);  // warm-up
  const double one = time_gemms(1), eight = time_gemms(8);
  EXPECT_GT(one, 0.0);
  EXPECT_GT(eight, 4 * one) << "one " << one << " ms, eight " << eight << " ms";

  L2Flusher flusher(ctx.stream);
  EXPECT_GE(flusher.bytes(), std::size_t(2) << 20);
  flusher.flush();
  session.synchronize();
}

}  // namespace
}  // namespace attn
