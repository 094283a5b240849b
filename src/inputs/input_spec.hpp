// One input configuration of a sweep, and the host tensors generated from it. Inputs are generated
// once per input group and shared by every method (and its reference) on that group.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/dtype.hpp"
#include "core/tensor.hpp"

namespace attn {

struct InputSpec {
  std::string distribution = "gaussian";  // gaussian | clustered | local | lowrank | rope | file | real
  int64_t seq_len = 0;
  int64_t head_dim = 64;
  int64_t batch = 1;
  int64_t heads = 1;
  bool causal = false;
  DType dtype = DType::f32;
  uint64_t seed = 0;
  double temperature = 1.0;  // Q and K each scaled by sqrt(temperature) (beta of the method cards)
  int64_t clusters = 16;     // clustered: number of centres
  int64_t subspace_dim = 8;  // lowrank: dimension of the subspace Q and K live in
  int64_t smoothing = 32;    // local: moving-sum window that gives Q and K positional structure
  // Options every generated distribution takes (applied in this order, before the temperature):
  int64_t sinks = 0;         // the first `sinks` keys are attention sinks (most queries' mass goes there)
  bool unit_norm = false;    // Q and K rows L2-normalized (then the temperature makes them norm sqrt(beta))
  std::string q_path, k_path, v_path;  // file: .npy paths
  // real: a captured set under bench_specs/data/<source>, its layer, and the captured heads that
  // form this case's H dimension, in order (inputs/real_inputs.hpp).
  std::string source;
  int64_t layer = 0;
  std::vector<int64_t> head_indices;

  Shape shape() const { return {batch, heads, seq_len, head_dim}; }
  // Identifies the generated tensors and the reference (everything except method and device).
  std::string group_key() const;
  // The case-id fragment: "gaussian/N=4096/d=64/B=1/H=4/fp32/seed=0" (+ "/t=4", "/causal" when set).
  std::string id_fragment() const;
  nlohmann::json to_json() const;
};

// Host fp32 tensors [B, H, N, d].
struct InputTensors {
  Shape shape;
  std::vector<float> q, k, v;
};

}  // namespace attn
