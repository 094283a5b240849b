// Seeds folded into points: one point per (configuration, shape), the unit every view works on.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/result.hpp"
#include "report/tables_fields.hpp"

namespace attn {

struct ViewPoint {
  std::string config;       // RecordLabels::config
  std::string shape;        // shape_key (with N)
  std::string family_key;   // shape_key_without_n
  const CaseResult* first = nullptr;  // a representative record (for labels: input, N, device, ...)
  int seeds = 0;            // ok records folded in
  int records = 0;          // all records folded in
  std::string status = "ok";  // "ok" when any record is ok, else the first record's status
  std::optional<double> time_ms;      // median of the per-seed medians
  std::optional<double> error;        // mean rel_fro
  std::optional<double> error_std;    // std of rel_fro over seeds (2+ seeds)
  std::optional<double> peak_mib;     // largest peak workspace
};

// Points in first-appearance order.
std::vector<ViewPoint> fold_seeds(const std::vector<CaseResult>& records, const RecordLabels& labels);

// Index: shape -> method name -> point, for the baselines (exact, flash; the first configuration
// of that method at the shape).
std::map<std::string, std::map<std::string, const ViewPoint*>> baselines_by_shape(const std::vector<ViewPoint>& points);

}  // namespace attn
