// `attnbench compare BASE NEW`: the regression gate (DESIGN.md §8). Cases are matched by case_id.
//  - time regresses only when all three hold: new/base median ratio > 1 + time_threshold, the
//    medians differ by more than time_floor_ms, and a two-sided Mann-Whitney U test on the raw
//    samples gives p < alpha. Time is gated only on the same machine (context fingerprint) and
//    the same thread count.
//  - memory (peak workspace, and device peak where both have one) regresses past a tight ratio and
//    a byte floor: it is near-deterministic.
//  - error (rel_fro, and own_rel_fro where both have one) regresses when it grows by more than
//    error_threshold relatively and by more than the input's noise floor absolutely.
//  - `ok` turning into any other status always blocks.
// Verdicts are data; the CLI turns them into a table, JSON and an exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.hpp"
#include "report/result.hpp"

namespace attn {

// The baseline cannot be compared with (other machine, no common case): exit code 3.
class IncompatibleBaseline : public UsageError {
 public:
  using UsageError::UsageError;
};

struct CompareOptions {
  double time_threshold = 0.10;   // relative slowdown that may count (0.10 = 10%)
  double time_floor_ms = 0.01;    // absolute median difference below which time never regresses
  double alpha = 0.05;            // significance of the U test
  double memory_threshold = 0.02; // relative growth of peak bytes that blocks
  double memory_floor_bytes = 4096;
  double error_threshold = 0.05;  // relative growth of rel_fro that blocks (beyond the noise floor)
  bool lenient = false;           // compare across machines: gate error, memory and status only
  bool fail_missing = false;      // a BASE case missing from NEW blocks
  bool gate_time = true;          // false: time is shown but never blocks (shared CI machines)
  bool gate_memory = true;
};

enum class Verdict { same, improved, regressed };

struct TimeCheck {
  double base_ms = 0, new_ms = 0, ratio = 1, p_value = 1;
  int base_n = 0, new_n = 0;
  bool significant = false;  // ratio, floor and U test all passed (in either direction)
};

struct CaseComparison {
  std::string case_id;
  std::string base_status, new_status;
  Verdict verdict = Verdict::same;
  std::vector<std::string> regressions;   // why it blocks, one phrase each
  std::vector<std::string> improvements;  // what got better
  std::vector<std::string> notes;         // facts that neither block nor improve
  std::optional<TimeCheck> time;          // both ok and timed
  std::optional<double> memory_ratio;     // new / base peak workspace (both ok)
  std::optional<double> base_error, new_error;  // rel_fro
};

struct Comparison {
  std::vector<CaseComparison> cases;       // BASE order
  std::vector<std::string> only_in_base;   // missing from NEW
  std::vector<std::string> only_in_new;
  std::vector<std::string> warnings;       // machine, threads, repetitions, interrupted, ...
  bool time_gated = true;
  double options_alpha = 0.05;
  std::optional<double> geomean_time_ratio;    // over cases timed in both
  int time_pairs = 0;
  std::optional<double> geomean_memory_ratio;  // over cases with non-zero peaks in both
  int regressions = 0, improvements = 0;
  bool missing_blocks = false;

  int exit_code() const;  // 0 pass, 1 regression
};

// The reason two reports' machines differ, or nullopt when they match (fingerprint: CPU model,
// cores, BLAS vendor/version/coretype, GPU). A report without a context (a JSONL) never matches.
std::optional<std::string> machine_mismatch(const Report& base, const Report& fresh);

// Throws IncompatibleBaseline on a machine mismatch without `lenient`, and when no case matches.
Comparison compare_reports(const Report& base, const Report& fresh, const CompareOptions& options);

std::string comparison_table(const Comparison& c, bool changes_only);  // text table + geomean line
nlohmann::json comparison_json(const Comparison& c, const CompareOptions& options);
std::string_view verdict_name(Verdict v);

}  // namespace attn
