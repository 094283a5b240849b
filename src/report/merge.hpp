// `attnbench merge FILE... -o OUT`: joins the reports (and JSONL logs) of the shards of one sweep
// into one report. Refuses to mix specs (spec sha256) or builds (tool version and git commit),
// because the union would then compare things that were never run under the same conditions.
// A case that appears more than once (a resumed sweep re-ran it, or a shard's .json and .jsonl
// are both given) keeps its last record, in command-line order then file order.
#pragma once

#include <string>
#include <vector>

#include "report/report_inputs.hpp"

namespace attn {

struct MergeOutcome {
  Report report;
  int duplicates = 0;                 // records replaced by a later record of the same case
  std::vector<std::string> warnings;  // also recorded in the merged context's warnings
};

// Throws UsageError (one line naming both files) on mismatched spec hashes or tool versions.
MergeOutcome merge_results(const std::vector<ResultsFile>& files);

}  // namespace attn
