// Runs an expanded spec: input group by input group (inputs and the fp64 reference made once per
// group, in this process or in an isolated worker), every finished case appended to the JSONL and
// fsynced at once, the final report written atomically at the end, also after SIGINT/SIGTERM
// (then marked `interrupted`). With --resume, cases already in the JSONL are not run again.
#pragma once

#include <string>
#include <vector>

#include "report/result.hpp"
#include "runner/run_options.hpp"
#include "spec/spec.hpp"

namespace attn {

struct SweepOutcome {
  Report report;
  std::string json_path;
  std::string jsonl_path;
  int interrupted_by = 0;             // the signal that stopped the sweep, or 0
  std::size_t resumed = 0;            // results taken from the JSONL of an earlier run
  std::size_t ran = 0;                // results measured by this run
  std::vector<std::string> set_aside; // earlier files renamed out of the way (runs without --resume)
};

// Cases kept after --filter and --device, in expansion order.
std::vector<const Case*> select_cases(const Spec& spec, const RunOptions& options);
// Those cases grouped by input (stable order of first appearance): the order a sweep runs and reports.
std::vector<std::vector<const Case*>> group_by_input(const std::vector<const Case*>& cases);

SweepOutcome run_sweep(const Spec& spec, const RunOptions& options);

}  // namespace attn
