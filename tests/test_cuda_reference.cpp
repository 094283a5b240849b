// The GPU path of the per-group reference (runner/device_reference.hpp): with a device, a group of
// N = 8192 gets its fp64 reference from the fused fp64 kernel and it equals the CPU's fp64 reference
// to 1e-10 (relative Frobenius), with the noise floor (fp32 fused kernel vs fp64) within rounding of
// the CPU's; without one (or below the size threshold) the device path declines and compute_reference
// is the CPU computation.
#include <gtest/gtest.h>

#include <cmath>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "metrics/error_metrics.hpp"
#include "runner/device_reference.hpp"
#include "runner/reference.hpp"

namespace attn {
namespace {

InputTensors random_inputs(int64_t n, int64_t d) {
  InputTensors in;
  in.shape = Shape{.batch = 1, .heads = 2, .seq_len = n, .head_dim = d};
  const auto count = static_cast<std::size_t>(in.shape.numel());
  for (auto* x : {&in.q, &in.k, &in.v}) x->resize(count);
  Rng(1, "cuda-reference", "q").fill_normal(in.q.data(), static_cast<int64_t>(count));
  Rng(1, "cuda-reference", "k").fill_normal(in.k.data(), static_cast<int64_t>(count));
  Rng(1, "cuda-reference", "v").fill_normal(in.v.data(), static_cast<int64_t>(count));
  return in;
}

TEST(CudaReference, DeclinesBelowTheThresholdOrWithoutADevice) {
  EXPECT_FALSE(exact_on_device(random_inputs(64, 8), false).has_value());  // too small for the device path
  if (cuda_available()) GTEST_SKIP() << "a device is present; the no-device path is checked on CPU machines";
  EXPECT_FALSE(exact_on_device(random_inputs(kDeviceReferenceMinSeqLen, 8), true).has_value());
}

TEST(CudaReference, DeviceReferenceEqualsTheCpuOne) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device on this machine (or a CPU-only build)";
  for (bool causal : {false, true}) {
    const InputTensors in = random_inputs(kDeviceReferenceMinSeqLen, 40);
    const auto device = exact_on_device(in, causal);
    ASSERT_TRUE(device.has_value()) << "causal=" << causal;
    const Reference cpu = compute_reference(in, causal, 8, false);
    double num = 0, den = 0;
    for (std::size_t i = 0; i < cpu.output.size(); ++i) {
      num += (device->reference[i] - cpu.output[i]) * (device->reference[i] - cpu.output[i]);
      den += cpu.output[i] * cpu.output[i];
    }
    EXPECT_LT(std::sqrt(num / den), 1e-10) << "causal=" << causal;
    const Reference gpu = compute_reference(in, causal, 8, true);
    EXPECT_NEAR(gpu.noise_floor_rel_fro, cpu.noise_floor_rel_fro, 0.5 * cpu.noise_floor_rel_fro) << "causal=" << causal;
    EXPECT_NEAR(gpu.trivial_rel_fro, cpu.trivial_rel_fro, 1e-9 * cpu.trivial_rel_fro);
  }
}

}  // namespace
}  // namespace attn
