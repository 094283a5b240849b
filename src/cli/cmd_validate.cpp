// attnbench validate SPEC: parses the spec and prints what would run, before anything runs: the case
// count, the decisions the runner will take (skips from the budget mapping, unsupported cases,
// cases over the memory budget, each with its reason and estimate), the largest estimated peak and
// a rough time. With --shard I/N, the same for one shard.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/device_memory.hpp"
#include "core/threads.hpp"
#include "runner/case_runner.hpp"
#include "runner/cost_estimate.hpp"
#include "runner/memory_estimate.hpp"
#include "runner/sweep.hpp"
#include "spec/default_spec.hpp"

namespace attn::cli {

namespace {
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = kMiB * 1024.0;

Action add_validate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Check a spec and print case count, skips, memory and time estimates");
  struct Args {
    std::string path, shard;
    bool verbose = false;
    double budget = 0;
    int threads = 0;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("spec", a->path, "Spec file (no SPEC: the built-in default)");
  cmd->add_option("--memory-budget", a->budget, "GiB a case may use (default: the spec's, else 80% of available)")
      ->check(CLI::Range(0.0, 1048576.0));
  cmd->add_option("--threads", a->threads, "Threads the estimate assumes (default: all)")->check(CLI::Range(0, 4096));
  cmd->add_option("--shard", a->shard, "Only shard I of N (as `run --shard`)");
  cmd->add_flag("-v,--verbose", a->verbose, "One line per case");
  return [a]() {
    const Spec spec = a->path.empty() ? parse_spec_text(default_spec_text(), "built-in default spec") : load_spec_file(a->path);
    const int t = a->threads > 0 ? a->threads : hardware_threads();
    RunOptions options;
    if (!a->shard.empty()) options.shard = parse_shard(a->shard, "--shard");
    auto cases = select_cases(spec, options);
    if (options.shard) cases = shard_cases(cases, *options.shard);
    const CaseSettings settings{.repetitions = spec.repetitions, .warmup = spec.warmup, .threads = t,
                                .memory_budget = memory_budget(a->budget > 0 ? a->budget : spec.memory_budget_gib)};
    size_t skipped = 0, unsupported = 0, over = 0, runnable = 0;
    double max_peak = 0, max_device_peak = 0, seconds = 0;
    for (const auto& group : group_by_input(cases)) {
      bool group_runs = false;
      for (const Case* c : group) {
        const auto e = estimate_case_memory(*c, t);
        const auto why = precheck(*c, settings);
        std::string decision = "run";
        if (why) {
          const bool memory = why->reason.find("memory budget") != std::string::npos;
          (memory ? over : why->status == "skipped" ? skipped : unsupported) += 1;
          decision = fmt::format("{}{}: {}", why->status, memory ? " (memory)" : "", why->reason);
          // Memory decisions are printed even without -v: they depend on this machine and the budget.
          if (memory && !a->verbose) fmt::print("{}  {}\n", c->id, decision);
        } else {
          ++runnable;
          group_runs = true;
          max_peak = std::max(max_peak, e.host_total());
          max_device_peak = std::max(max_device_peak, e.device_total());
          seconds += estimate_case_seconds(*c, spec.repetitions, spec.warmup);
        }
        if (a->verbose)
          fmt::print("{}  est {:.1f} MiB host{} (workspace {:.1f} MiB)  {}\n", c->id, e.host_total() / kMiB,
                     e.device_total() > 0 ? fmt::format(", {:.1f} MiB device", e.device_total() / kMiB) : "",
                     e.workspace_bytes / kMiB, decision);
      }
      if (group_runs) seconds += estimate_reference_seconds(group.front()->input);
    }
    const std::string shard = options.shard ? fmt::format(" (shard {}: {} of {} cases)", options.shard->label(),
                                                          cases.size(), spec.cases.size())
                                            : "";
    fmt::print("spec '{}' (sha256 {}): {} cases{}: {} run, {} skipped by budget mapping, {} unsupported, {} over the "
               "memory budget of {:.2f} GiB{}\n",
               spec.name, spec.sha256.substr(0, 12), cases.size(), shard, runnable, skipped, unsupported, over,
               settings.memory_budget.host_bytes / kGiB,
               settings.memory_budget.device_bytes > 0 && cuda_available()
                   ? fmt::format(" (device {:.2f} GiB)", settings.memory_budget.device_bytes / kGiB)
                   : "");
    fmt::print("largest estimated case peak {:.1f} MiB host{}; rough time {:.0f} s (references included)\n",
               max_peak / kMiB, max_device_peak > 0 ? fmt::format(", {:.1f} MiB device", max_device_peak / kMiB) : "",
               seconds);
    return kExitOk;
  };
}

const CommandRegistration kRegistration{30, add_validate_command};
}  // namespace

}  // namespace attn::cli
