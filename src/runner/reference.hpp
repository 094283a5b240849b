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
  double noise_floor_rel_fro = 0;  // fp32 tiled exact kernel vs the fp64 reference
  double seconds = 0;            // time to compute it
  // The group's attention-matrix spectra, filled by its first rank-budgeted case (shared, so cases
  // that hold the reference by const reference still fill it).
  std::shared_ptr<OracleCache> oracle = std::make_shared<OracleCache>();
};

// on_device (a group with cuda cases): large groups compute the fp64 reference and the fp32 noise
// floor with the fused kernels on the GPU (runner/device_reference.hpp), falling back to the CPU.
Reference compute_reference(const InputTensors& inputs, bool causal, int threads, bool on_device = false);

}  // namespace attn
