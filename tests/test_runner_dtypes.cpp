// 16-bit cases: only methods that declare a 16-bit path run them (the rest are `unsupported` with
// the reason, never fp32 work labelled fp16), the inputs are stored in the dtype on the device, and
// the noise floor is the exact kernel in that dtype (null where no device can run it).
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "inputs/distributions.hpp"
#include "runner/case_runner.hpp"
#include "runner/device_tensors.hpp"
#include "runner/reference.hpp"
#include "spec/spec.hpp"

namespace attn {
namespace {

const Case& find_case(const Spec& spec, const std::string& method) {
  for (const Case& c : spec.cases)
    if (c.method == method) return c;
  throw std::runtime_error("no case of " + method);
}

TEST(RunnerDtypes, OnlyMethodsWithA16BitPathRunFp16Cases) {
  const Spec spec = parse_spec_text(R"({"name": "half", "devices": ["cuda"],
      "inputs": {"distribution": "gaussian", "seq_len": 128, "head_dim": 64, "dtype": ["fp16", "bf16"]},
      "methods": [{"name": "exact"}, {"name": "flash"}, {"name": "performer", "rank": 64},
                  {"name": "nystrom", "rank": 32}]})",
                                    "t.json");
  ASSERT_EQ(spec.cases.size(), 8u);
  for (const Case& c : spec.cases) {
    const auto why = static_precheck(c);
    if (c.method == "flash" || c.method == "exact" || c.method == "performer") {
      EXPECT_FALSE(why.has_value()) << c.id << ": " << why->reason;
    } else {
      ASSERT_TRUE(why.has_value()) << c.id;
      EXPECT_EQ(why->status, "unsupported");
      EXPECT_NE(why->reason.find("no " + std::string(dtype_name(c.input.dtype)) + " path"), std::string::npos)
          << why->reason;
    }
  }
  (void)find_case(spec, "nystrom");
}

// The estimate follows the case: 16-bit scores are half the bytes, and on the GPU heads are batched
// into one product while their scores fit 1 GiB (on the CPU one head per thread).
TEST(RunnerDtypes, ExactWorkspaceEstimateFollowsDeviceAndDtype) {
  const Spec spec = parse_spec_text(R"({"name": "est", "devices": ["cpu", "cuda"],
      "inputs": {"distribution": "gaussian", "seq_len": 4096, "head_dim": 64, "heads": 16, "dtype": ["fp32", "fp16"]},
      "methods": [{"name": "exact"}]})",
                                    "t.json");
  ASSERT_EQ(spec.cases.size(), 4u);
  const double n2 = 4096.0 * 4096.0;
  for (const Case& c : spec.cases) {
    const double est = c.info->workspace_bytes(c.shape(), c.params, 2);
    if (c.device == Device::cpu) {
      if (c.input.dtype == DType::f32) EXPECT_EQ(est, 4 * n2) << c.id;  // N > 2048: one head at a time
    } else {
      // 16 heads of 4096^2: 64 MiB each in fp32 (all 16 fit 1 GiB), 32 MiB in fp16.
      EXPECT_EQ(est, 16 * n2 * static_cast<double>(dtype_size(c.input.dtype))) << c.id;
    }
  }
}

TEST(RunnerDtypes, SixteenBitInputsOnTheHostAreRefused) {
  InputSpec in;
  in.seq_len = 16;
  in.head_dim = 8;
  const InputTensors t = make_inputs(in);
  EXPECT_THROW(DeviceTensors(Device::cpu, t, 1, DType::f16), UnsupportedError);
  EXPECT_THROW(DeviceTensors(Device::cuda, t, 1, DType::f64), UnsupportedError);
}

TEST(RunnerDtypes, NoiseFloorOf16BitGroupsNeedsADevice) {
  InputSpec in;
  in.seq_len = 64;
  in.head_dim = 32;
  const InputTensors t = make_inputs(in);
  const Reference fp32 = compute_reference(t, false, 1);
  EXPECT_GT(fp32.noise_floor_rel_fro, 0.0);
  EXPECT_LT(fp32.noise_floor_rel_fro, 1e-5);
  const Reference half = compute_reference(t, false, 1, false, DType::f16);
  if (!cuda_available()) {
    EXPECT_TRUE(std::isnan(half.noise_floor_rel_fro));
  } else {
    // fp16 keeps 11 significant bits: its exact kernel sits far above fp32's floor, below 1e-2.
    EXPECT_GT(half.noise_floor_rel_fro, 10 * fp32.noise_floor_rel_fro);
    EXPECT_LT(half.noise_floor_rel_fro, 1e-2);
  }
}

TEST(RunnerDtypes, DeviceTensorsRoundTripFp16) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device on this machine (or a CPU-only build)";
  InputSpec in;
  in.seq_len = 32;
  in.head_dim = 16;
  const InputTensors t = make_inputs(in);
  for (DType dtype : {DType::f16, DType::bf16}) {
    DeviceTensors io(Device::cuda, t, 1, dtype);
    EXPECT_EQ(io.q().dtype, dtype);
    for (float x : io.output_to_host()) ASSERT_TRUE(std::isnan(x));
    copy_bytes(io.out().data, Device::cuda, io.v().data, Device::cuda, t.v.size() * dtype_size(dtype));
    const auto back = io.output_to_host();
    const double tol = dtype == DType::f16 ? 1e-3 : 8e-3;  // half an ulp, relative
    for (std::size_t i = 0; i < back.size(); ++i) ASSERT_NEAR(back[i], t.v[i], tol * std::abs(t.v[i]) + 1e-6) << i;
  }
}

}  // namespace
}  // namespace attn
