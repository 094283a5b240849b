// The fp64 exact reference of one input group, computed once with the tiled exact kernel and shared
// by every case on that group, plus the trivial mean-of-V predictor's error (the floor every report
// shows beside each method).
#pragma once

#include <memory>
#include <vector>

#include "inputs/input_spec.hpp"
#include "metrics/attention_probe.hpp"

namespace attn {

struct Reference {
  std::vector<double> output;    // [B, H, N, d], fp64
  double trivial_rel_fro = 0;    // mean-of-V (prefix mean when causal) vs the reference
  // The exact fused kernel in the group's dtype vs the fp64 reference: fp32 on the CPU (or the GPU
  // for large groups); fp16/bf16 on the GPU (NaN when no device can run it).
  double noise_floor_rel_fro = 0;
  double seconds = 0;            // time to compute it
  // The group's attention-matrix spectra, filled by its first rank-budgeted case (shared, so cases
  // that hold the reference by const reference still fill it).
  std::shared_ptr<OracleCache> oracle = std::make_shared<OracleCache>();
};

// on_device (a group with cuda cases): large groups compute the fp64 reference and the fp32 noise
// floor with the fused kernels on the GPU (runner/device_reference.hpp), falling back to the CPU.
Reference compute_reference(const InputTensors& inputs, bool causal, int threads, bool on_device = false,
                            DType dtype = DType::f32);

}  // namespace attn
