// Seeded input generators (DESIGN.md §4). Every generator draws from Rng(seed, group key, "q"/"k"/"v"),
// so the same spec always yields the same tensors on any machine and thread count.
#pragma once

#include <string>
#include <vector>

#include "inputs/input_spec.hpp"

namespace attn {

// Names accepted in specs' inputs.distribution.
const std::vector<std::string>& distribution_names();

// Generates (or, for "file", reads) the tensors. Throws UsageError for unknown distributions,
// unreadable files or shapes that do not match the spec.
InputTensors make_inputs(const InputSpec& spec);

// Writes q.npy, k.npy, v.npy ([B, H, N, d] float32) into `dir` (created if missing).
void save_inputs(const InputTensors& t, const std::string& dir);

}  // namespace attn
