// attnbench run [SPEC]: runs a sweep (the built-in default when no SPEC is given), writes
// results/NAME-TIME.json(.jsonl) and prints a summary table and the report's path.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "report/summary_table.hpp"
#include "runner/sweep.hpp"
#include "spec/default_spec.hpp"

namespace attn::cli {

namespace {
Action add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Run a benchmark spec (no SPEC: the built-in default sweep)");
  struct Args {
    std::string spec_path;
    RunOptions options;
    std::string device;
    int repetitions = 0, warmup = -1;
    double memory_budget = 0;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("spec", args->spec_path, "Spec file (JSON, see bench_specs/)");
  cmd->add_option("-o,--output", args->options.output_json, "Report path (default results/NAME-TIME.json)");
  cmd->add_option("--device", args->device, "Only cases on this device")->check(CLI::IsMember({"cpu", "cuda", "all"}));
  cmd->add_option("--filter", args->options.filter_regex, "Only cases whose id matches this regular expression");
  cmd->add_option("--threads", args->options.threads, "OpenMP and BLAS threads (default: all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--repetitions", args->repetitions, "Timed repetitions per case (overrides the spec)")->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", args->warmup, "Warm-up runs per case (overrides the spec)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--memory-budget", args->memory_budget, "GiB a case may use (default: 80% of available)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--save-inputs", args->options.save_inputs_dir, "Write each input group's Q, K, V as .npy here");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress line and no table");
  return [args]() {
    const Spec spec = args->spec_path.empty() ? parse_spec_text(default_spec_text(), "built-in default spec")
                                              : load_spec_file(args->spec_path);
    RunOptions options = args->options;
    if (!args->device.empty()) options.device = args->device;
    if (args->repetitions > 0) options.repetitions = args->repetitions;
    if (args->warmup >= 0) options.warmup = args->warmup;
    if (args->memory_budget > 0) options.memory_budget_gib = args->memory_budget;
    options.progress = !args->quiet;
    const SweepOutcome outcome = run_sweep(spec, options);
    if (!args->quiet) fmt::print("{}", summary_table(outcome.report.results));
    size_t ok = 0;
    for (const auto& r : outcome.report.results) ok += r.status == "ok";
    fmt::print("{} cases ({} ok). Report: {}  (per-case log: {})\n", outcome.report.results.size(), ok,
               outcome.json_path, outcome.jsonl_path);
    return kExitOk;
  };
}

const CommandRegistration kRegistration{10, add_run_command};
}  // namespace

}  // namespace attn::cli
