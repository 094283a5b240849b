// What `attnbench report` can group by (--rows/--cols keys) and show (--value metrics), read from
// result records by name, plus the labels that tell configurations of one method apart.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "report/result.hpp"

namespace attn {

// Labels that depend on the whole set of records: a method's `variant` lists the parameters that
// vary among its records and do not simply follow the budget (e.g. local's `variant=blocks` beside
// `variant=sliding` at the same sparsity), so two configurations never share a row by accident.
class RecordLabels {
 public:
  explicit RecordLabels(const std::vector<CaseResult>& records);
  std::string budget(const CaseResult& r) const;   // "rank=64", "sparsity=0.9", "" when not swept
  std::string variant(const CaseResult& r) const;  // "variant=blocks chunk=64", "" when nothing varies
  std::string config(const CaseResult& r) const;   // "local sparsity=0.5 variant=blocks"

 private:
  std::map<std::string, std::set<std::string>> variant_params_;  // method -> parameter names
};

// Keys for --rows / --cols / --filter. `params.NAME` reads a method parameter.
const std::vector<std::string>& record_key_names();
// The key's text for one record; throws UsageError for an unknown key.
std::string record_key(const CaseResult& r, const std::string& key, const RecordLabels& labels);
void check_record_key(const std::string& key);

// Metrics for --value. Time, memory and FLOP-rate metrics exist only for `ok` records; error
// metrics exist where they were measured and the record is `ok` (a failed case is not a data point).
const std::vector<std::string>& metric_names();
std::optional<double> record_metric(const CaseResult& r, const std::string& metric);
void check_metric(const std::string& metric);  // throws UsageError listing the known metrics

// The shape a record was measured at, without seed, method or N: records that share it (and N)
// are comparable points (speed-ups, Pareto fronts).
std::string shape_key_without_n(const CaseResult& r);
std::string shape_key(const CaseResult& r);  // the same, with N

}  // namespace attn
