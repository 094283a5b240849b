// attnbench run [SPEC]: runs a sweep (the built-in default when no SPEC is given), writes
// results/NAME-TIME.json(.jsonl) and prints a summary table and the report's path.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "report/gbench_json.hpp"
#include "report/report_io.hpp"
#include "report/summary_table.hpp"
#include "runner/sweep.hpp"
#include "spec/default_spec.hpp"
#include "spec/spec_limits.hpp"

namespace attn::cli {

namespace {
Action add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Run a benchmark spec (no SPEC: the built-in default sweep)");
  struct Args {
    std::string spec_path;
    RunOptions options;
    std::string device, shard, gbench_json;
    int repetitions = 0, warmup = -1;
    double memory_budget = 0, timeout = 0;
    bool quiet = false, isolate = false, no_isolate = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("spec", args->spec_path, "Spec file (JSON, see bench_specs/)");
  cmd->add_option("-o,--output", args->options.output_json, "Report path (default results/NAME-TIME.json)");
  cmd->add_option("--device", args->device, "Only cases on this device")->check(CLI::IsMember({"cpu", "cuda", "all"}));
  cmd->add_option("--filter", args->options.filter_regex, "Only cases whose id matches this regular expression");
  cmd->add_option("--threads", args->options.threads, "OpenMP and BLAS threads (default: all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--repetitions", args->repetitions, "Timed repetitions per case (overrides the spec)")->check(CLI::Range(int64_t{1}, spec_limits::kMaxRepetitions));
  cmd->add_option("--warmup", args->warmup, "Warm-up runs per case (overrides the spec)")->check(CLI::Range(int64_t{0}, spec_limits::kMaxWarmup));
  cmd->add_option("--memory-budget", args->memory_budget,
                  "GiB a case may use; over it the case is skipped with its estimate (default: the spec's, else 80% of "
                  "available memory, and of free device memory for GPU cases)")
      ->check(CLI::Range(0.0, 1048576.0));
  cmd->add_option("--timeout", args->timeout,
                  "Seconds a case may take before it is killed and recorded as timeout (overrides the spec's "
                  "timeout_s; enforced when isolated)")
      ->check(CLI::Range(0.001, 1e7));
  cmd->add_option("--gbench-json", args->gbench_json,
                  "Also write the timings in Google Benchmark's JSON layout (for its compare.py and tooling)");
  auto* iso = cmd->add_flag("--isolate", args->isolate,
                            "Run each input group in a worker process so a crash, abort or hang costs only its case "
                            "(default when more than one case is selected)");
  cmd->add_flag("--no-isolate", args->no_isolate, "Run every case in this process")->excludes(iso);
  cmd->add_flag("--resume", args->options.resume,
                "Keep the results already in the -o report's JSONL (same spec) and run only the rest");
  cmd->add_flag("--retry-failed", args->options.retry_failed, "With --resume: run crash, timeout, oom and error cases again");
  cmd->add_option("--shard", args->shard,
                  "Run only shard I of N (0-based, balanced by estimated cost; default from SLURM_ARRAY_TASK_ID and "
                  "SLURM_ARRAY_TASK_COUNT when set); `attnbench merge` joins the shards");
  cmd->add_option("--save-inputs", args->options.save_inputs_dir, "Write each input group's Q, K, V as .npy here");
  cmd->add_option("--attn-metrics-max-n", args->options.attn_metrics_max_n,
                  "Probe attention matrices and oracle bounds up to this N (default: the spec's attn_metrics_max_n, "
                  "else 2048; 0: off)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--cold-l2", args->options.cold_l2,
                "GPU cases: flush the L2 cache before every timed sample (cold-cache times; default warm)");
  cmd->add_option("--progress-interval", args->options.progress_interval_s,
                  "Seconds between progress lines when stderr is not a terminal")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_flag("-q,--quiet", args->quiet, "No progress line and no table");
  cmd->footer(
      "Exit codes: 0 the sweep ran (failed cases are data in the report); 2 usage, spec or input error; "
      "130 / 143 stopped by SIGINT / SIGTERM after writing a valid partial report (interrupted: true; "
      "continue with --resume).");
  return [args]() {
    const Spec spec = args->spec_path.empty() ? parse_spec_text(default_spec_text(), "built-in default spec")
                                              : load_spec_file(args->spec_path);
    RunOptions options = args->options;
    if (!args->device.empty()) options.device = args->device;
    if (args->repetitions > 0) options.repetitions = args->repetitions;
    if (args->warmup >= 0) options.warmup = args->warmup;
    if (args->memory_budget > 0) options.memory_budget_gib = args->memory_budget;
    if (args->timeout > 0) options.timeout_s = args->timeout;
    if (options.retry_failed && !options.resume) throw UsageError("--retry-failed: only with --resume");
    options.shard = args->shard.empty() ? shard_from_environment() : parse_shard(args->shard, "--shard");
    options.isolate = args->isolate || (!args->no_isolate && select_cases(spec, options).size() > 1);
    options.progress = !args->quiet;
    if (!args->gbench_json.empty()) check_writable(args->gbench_json);  // fail before measuring
    const SweepOutcome outcome = run_sweep(spec, options);
    if (!args->gbench_json.empty()) write_file_atomic(args->gbench_json, gbench_json(outcome.report));
    if (!args->quiet) fmt::print("{}", summary_table(outcome.report.results));
    size_t ok = 0;
    for (const auto& r : outcome.report.results) ok += r.status == "ok";
    const std::string shard = options.shard ? fmt::format(", shard {}", options.shard->label()) : "";
    const std::string resumed = outcome.resumed > 0 ? fmt::format(", {} from the earlier run", outcome.resumed) : "";
    fmt::print("{} cases ({} ok{}{}). Report: {}  (per-case log: {})\n", outcome.report.results.size(), ok, resumed,
               shard, outcome.json_path, outcome.jsonl_path);
    if (outcome.interrupted_by != 0) {
      fmt::print(stderr, "attnbench: interrupted by signal {}: the report holds the {} finished cases; continue with "
                         "--resume -o {}\n",
                 outcome.interrupted_by, outcome.report.results.size(), outcome.json_path);
      return 128 + outcome.interrupted_by;
    }
    return kExitOk;
  };
}

const CommandRegistration kRegistration{10, add_run_command};
}  // namespace

}  // namespace attn::cli
