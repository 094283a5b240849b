// The built-in views of `attnbench report --view` (DESIGN.md §5 "derived views"), computed from the
// stored results. Each works per configuration (method + budget + varying parameters) and shape,
// with seeds aggregated: time is the median of the per-seed medians, error the mean (± std) of
// rel_fro, memory the largest peak.
//  summary    one row per configuration and shape: time, memory, error, speed-up vs exact and flash
//  pareto     per shape and device, the configurations on the (error, time) or (error, memory)
//             front: nothing else is both at least as accurate and at least as fast (resp. small)
//  crossover  per configuration and shape family (all but N), the smallest N from which it is
//             faster than flash, and than exact, at every larger N measured
#pragma once

#include <string_view>
#include <vector>

#include "report/result.hpp"
#include "report/tables.hpp"

namespace attn {

Table summary_view(const std::vector<CaseResult>& records);
Table pareto_view(const std::vector<CaseResult>& records);
Table crossover_view(const std::vector<CaseResult>& records);
// Dispatches on the view name; throws UsageError for an unknown one.
Table report_view(std::string_view name, const std::vector<CaseResult>& records);

}  // namespace attn
