// The exact outputs of one input group computed on the GPU: the fp64 reference and the fp32 fused
// kernel's output (the noise floor), for groups whose CPU reference would take minutes (the fp64
// O(N^2 d) pass at N = 64K). Used by compute_reference when a group runs on cuda.
#pragma once

#include <optional>
#include <vector>

#include "inputs/input_spec.hpp"

namespace attn {

struct DeviceExact {
  std::vector<double> reference;  // [B, H, N, d], fp64 fused kernel
  std::vector<float> exact32;     // the fp32 fused kernel on the same inputs
};

// Groups at least this long use the device (below it the CPU pass takes seconds at most).
constexpr int64_t kDeviceReferenceMinSeqLen = 8192;

// nullopt when no device is present, the shape is small, the kernel cannot take the head size, or
// anything on the device fails (the caller then computes on the CPU). The fp64 result is checked
// against the CPU's fp64 kernel on the first query rows of every head; a disagreement also gives
// nullopt, with a line on stderr.
std::optional<DeviceExact> exact_on_device(const InputTensors& in, bool causal);

// The fused exact kernel's output in a 16-bit dtype (fp16 or bf16, inputs rounded to it), as fp32:
// the noise floor of that dtype's cases ("the exact kernel's error in the same dtype"). nullopt
// without a device, for a head size the 16-bit kernel does not take, or on a device failure.
std::optional<std::vector<float>> exact_16bit_on_device(const InputTensors& in, bool causal, DType dtype);

}  // namespace attn
