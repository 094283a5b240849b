// attnbench validate SPEC: parses the spec and prints what would run (case count, skips with their
// reasons, estimated peak memory per case and a rough time) without running anything.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/threads.hpp"
#include "runner/memory_estimate.hpp"
#include "runner/sweep.hpp"
#include "spec/default_spec.hpp"

namespace attn::cli {

namespace {
// A deliberately round figure for the time estimate; the point is the order of magnitude.
constexpr double kAssumedGflops = 50.0;
}  // namespace

namespace {
Action add_validate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Check a spec and print case count, skips, memory and time estimates");
  auto path = std::make_shared<std::string>();
  auto verbose = std::make_shared<bool>(false);
  auto budget = std::make_shared<double>(0);
  auto threads = std::make_shared<int>(0);
  cmd->add_option("spec", *path, "Spec file (no SPEC: the built-in default)");
  cmd->add_option("--memory-budget", *budget, "GiB a case may use (default: the spec's, else 80% of available)");
  cmd->add_option("--threads", *threads, "Threads the estimate assumes (default: all)");
  cmd->add_flag("-v,--verbose", *verbose, "One line per case");
  return [=]() {
    const Spec spec = path->empty() ? parse_spec_text(default_spec_text(), "built-in default spec") : load_spec_file(*path);
    const int t = *threads > 0 ? *threads : hardware_threads();
    const double budget_bytes = memory_budget_bytes(*budget > 0 ? *budget : spec.memory_budget_gib);
    size_t skipped = 0, over = 0;
    double max_peak = 0, seconds = 0;
    for (const auto& c : spec.cases) {
      const auto e = estimate_case_memory(c, t);
      const bool too_big = e.total() > budget_bytes;
      std::string decision = "run";
      if (c.skip_reason) {
        ++skipped;
        decision = "skip: " + *c.skip_reason;
      } else if (too_big) {
        ++over;
        decision = fmt::format("skip: estimated {:.2f} GiB over the budget", e.total() / (1ull << 30));
      } else {
        max_peak = std::max(max_peak, e.total());
        const CaseShape s{c.input.batch, c.input.heads, c.input.seq_len, c.input.head_dim, c.input.causal};
        seconds += (spec.warmup + spec.repetitions + 1) * c.info->flops(s, c.params) / (kAssumedGflops * 1e9);
      }
      if (*verbose)
        fmt::print("{}  est {:.1f} MiB (workspace {:.1f} MiB)  {}\n", c.id, e.total() / (1 << 20),
                   e.workspace_bytes / (1 << 20), decision);
    }
    fmt::print("spec '{}' (sha256 {}): {} cases, {} skipped by budget mapping, {} over the memory budget of {:.2f} GiB\n",
               spec.name, spec.sha256.substr(0, 12), spec.cases.size(), skipped, over, budget_bytes / (1ull << 30));
    fmt::print("largest estimated case peak {:.1f} MiB; rough time {:.0f} s at {:.0f} GFLOP/s (plus references)\n",
               max_peak / (1 << 20), seconds, kAssumedGflops);
    return kExitOk;
  };
}

const CommandRegistration kRegistration{30, add_validate_command};
}  // namespace

}  // namespace attn::cli
