// The compact table `attnbench run` prints after a sweep: one row per case.
#pragma once

#include <string>
#include <vector>

#include "report/result.hpp"

namespace attn {

// Columns: method, params (budget and explicit knobs), N, device, status, median ms, peak MiB,
// rel_fro (and, at the end, mean-v's rel_fro per input for comparison).
std::string summary_table(const std::vector<CaseResult>& results);

}  // namespace attn
