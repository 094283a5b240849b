// Runs an expanded spec: input group by input group (inputs and the fp64 reference made once per
// group), every finished case appended to the JSONL at once, the final report written atomically.
#pragma once

#include <string>

#include "report/result.hpp"
#include "runner/run_options.hpp"
#include "spec/spec.hpp"

namespace attn {

struct SweepOutcome {
  Report report;
  std::string json_path;
  std::string jsonl_path;
};

// Cases kept after --filter and --device, in expansion order.
std::vector<const Case*> select_cases(const Spec& spec, const RunOptions& options);

SweepOutcome run_sweep(const Spec& spec, const RunOptions& options);

}  // namespace attn
