// Runs one case on one input group and returns its result. Failures inside the case become its
// status (unsupported, skipped, oom, nonfinite, error) and never escape: the sweep goes on. Faults
// that take the whole process down (crash, timeout) are recorded by the isolating parent instead.
#pragma once

#include <optional>
#include <string>

#include "inputs/input_spec.hpp"
#include "report/result.hpp"
#include "runner/memory_estimate.hpp"
#include "runner/reference.hpp"
#include "spec/spec.hpp"

namespace attn {

struct CaseSettings {
  int repetitions = 10;
  int warmup = 1;
  int threads = 1;
  MemoryBudget memory_budget;  // fields <= 0: no check
  // Probe the implied N x N attention matrix (methods linear in V) and compute the oracle bound
  // at the case's budget for N up to this; 0 turns both off. The oracle is O(N^3).
  int64_t attn_metrics_max_n = 2048;
  // GPU cases: flush the L2 cache before every timed sample (cold-cache timings).
  bool cold_l2 = false;
};

// Why a case will not run, decided before running it: the status and reason it is recorded with.
struct NotRun {
  std::string status;  // "skipped" or "unsupported"
  std::string reason;
};
// Reasons that follow from the spec alone (budget mapping, causal or device support), so every
// machine decides them alike (sharding relies on that).
std::optional<NotRun> static_precheck(const Case& c);
// The spec's reasons plus this machine's: no CUDA device, over the memory budget.
std::optional<NotRun> precheck(const Case& c, const CaseSettings& settings);

// The result fields that do not depend on running: identity, budget, FLOP counts, estimate.
CaseResult describe_case(const Case& c, int threads);
// The randomness key of a case: its id without the device, so CPU and GPU draw the same numbers.
std::string case_rng_key(const Case& c);

CaseResult run_case(const Case& c, const InputTensors& inputs, const Reference& reference, const CaseSettings& settings);

}  // namespace attn
