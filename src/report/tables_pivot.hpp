// `attnbench report` tables: records grouped into rows and columns by keys, one metric per cell.
// Records that land in one cell differ only by seed, never by anything else: a dimension that
// varies inside a cell (say two distributions under rows=config) is added to the rows, with a
// note, instead of being averaged away.
#pragma once

#include <string>
#include <vector>

#include "report/tables.hpp"
#include "report/tables_fields.hpp"

namespace attn {

struct PivotOptions {
  std::vector<std::string> rows = {"config"};
  std::vector<std::string> cols = {"N"};
  std::string value = "median_ms";
  std::string agg = "mean";  // mean (shown as mean ± std when a cell holds several seeds), median, min, max
};

Table pivot_table(const std::vector<CaseResult>& records, const PivotOptions& options);

// Aggregates the values of one cell as `agg` says (count and spread filled for mean).
Cell aggregate_cell(const std::vector<double>& values, const std::string& agg);

// Orders key values: numerically when all are numbers, otherwise by first appearance.
std::vector<std::string> ordered_values(const std::vector<std::string>& in_order_of_appearance);

}  // namespace attn
