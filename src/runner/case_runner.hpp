// Runs one case on one input group and returns its result. Failures inside the case become its
// status (unsupported, skipped, oom, nonfinite, error) and never escape: the sweep goes on.
#pragma once

#include "inputs/input_spec.hpp"
#include "report/result.hpp"
#include "runner/reference.hpp"
#include "spec/spec.hpp"

namespace attn {

struct CaseSettings {
  int repetitions = 10;
  int warmup = 1;
  int threads = 1;
  double memory_budget_bytes = 0;  // <= 0: no check
};

// The result fields that do not depend on running: identity, budget, FLOP counts, estimate.
CaseResult describe_case(const Case& c, int threads);
// The randomness key of a case: its id without the device, so CPU and GPU draw the same numbers.
std::string case_rng_key(const Case& c);

CaseResult run_case(const Case& c, const InputTensors& inputs, const Reference& reference, const CaseSettings& settings);

}  // namespace attn
