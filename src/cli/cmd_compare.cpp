// attnbench compare BASE NEW: the regression gate for CI (DESIGN.md §8, report/compare.hpp).
// Exit 0 pass, 1 regression, 2 usage error or unreadable NEW, 3 baseline missing or incompatible.
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "report/compare.hpp"
#include "report/report_inputs.hpp"
#include "report/report_io.hpp"

namespace attn::cli {

namespace {

Action add_compare_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("compare", "Compare NEW against BASE: time, memory, error and status regressions");
  struct Args {
    std::string base, fresh, json;
    CompareOptions o;
    bool no_time = false, no_memory = false, changes_only = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("base", a->base, "Baseline report (.json; a .jsonl has no machine context, so needs --lenient)")->required();
  cmd->add_option("new", a->fresh, "New report")->required();
  cmd->add_option("--time-threshold", a->o.time_threshold, "Relative slowdown that may count (default 0.10)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--time-floor-ms", a->o.time_floor_ms, "Median difference below which time never counts (default 0.01)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--alpha", a->o.alpha, "Significance of the Mann-Whitney U test on the raw samples (default 0.05)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--memory-threshold", a->o.memory_threshold, "Relative growth of peak bytes that blocks (default 0.02)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--memory-floor-bytes", a->o.memory_floor_bytes, "Growth in bytes below which memory never counts (default 4096)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--error-threshold", a->o.error_threshold,
                  "Relative growth of rel_fro that blocks, beyond the input's noise floor (default 0.05)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--lenient", a->o.lenient, "Compare reports from different machines: gate error, memory and status only");
  cmd->add_flag("--no-time", a->no_time, "Never gate on time (shared CI machines: times are noise there)");
  cmd->add_flag("--no-memory", a->no_memory, "Never gate on memory");
  cmd->add_flag("--fail-missing", a->o.fail_missing, "A BASE case missing from NEW is a regression");
  cmd->add_flag("--changes-only", a->changes_only, "List only cases that regressed, improved or changed status");
  cmd->add_option("--json", a->json, "Write the verdicts as JSON to this file ('-': stdout, the table then goes to stderr)");
  cmd->footer("Exit codes: 0 no regression; 1 regression (time, memory, error or status); 2 usage error or unreadable "
              "NEW; 3 baseline missing or incompatible (unreadable, other schema, other machine without --lenient, "
              "no common case).");
  return [a]() {
    a->o.gate_time = !a->no_time;
    a->o.gate_memory = !a->no_memory;
    Report base, fresh;
    try {
      base = load_results_file(a->base).report;
    } catch (const UsageError& e) {
      fmt::print(stderr, "attnbench: baseline: {}\n", e.what());
      return kExitBaseline;
    }
    fresh = load_results_file(a->fresh).report;  // a UsageError here exits 2
    Comparison c;
    try {
      c = compare_reports(base, fresh, a->o);
    } catch (const IncompatibleBaseline& e) {
      fmt::print(stderr, "attnbench: compare: {}\n", e.what());
      return kExitBaseline;
    }
    const bool json_to_stdout = a->json == "-";
    fmt::print(json_to_stdout ? stderr : stdout, "{}", comparison_table(c, a->changes_only));
    if (json_to_stdout) fmt::print("{}\n", comparison_json(c, a->o).dump(2));
    else if (!a->json.empty()) write_file_atomic(a->json, comparison_json(c, a->o).dump(2) + "\n");
    return c.exit_code() == 0 ? kExitOk : kExitRegression;
  };
}

const CommandRegistration kRegistration{60, add_compare_command};
}  // namespace

}  // namespace attn::cli
