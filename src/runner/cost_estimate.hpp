// Rough time estimates that order, balance and predict work before it runs: the progress ETA, the
// shard split and `validate`. They use only the spec (FLOP counts, repetitions, whether a case is
// runnable at all), never this machine's state, so every machine computes the same numbers.
#pragma once

#include "inputs/input_spec.hpp"

namespace attn {

struct Case;

// Seconds one case is expected to take (set-up, cold call, warm-up and timed repetitions).
double estimate_case_seconds(const Case& c, int repetitions, int warmup);
// Seconds to make an input group's tensors and its fp64 reference (plus the fp32 noise floor).
double estimate_reference_seconds(const InputSpec& input);

}  // namespace attn
