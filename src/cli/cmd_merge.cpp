// attnbench merge FILE... -o OUT: joins shard reports and JSONL logs of one sweep (report/merge.hpp).
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "report/merge.hpp"
#include "report/report_io.hpp"

namespace attn::cli {

namespace {

Action add_merge_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("merge", "Join shard reports and JSONL logs of one sweep into one report");
  struct Args {
    std::vector<std::string> files;
    std::string output;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("files", a->files, "Shard reports (.json) and per-case logs (.jsonl)")->required();
  cmd->add_option("-o,--output", a->output, "The merged report (.json)")->required();
  cmd->footer("Exit codes: 0 merged; 2 usage or input error (unreadable file, other schema, different specs or "
              "attnbench versions).");
  return [a]() {
    check_writable(a->output);
    std::vector<ResultsFile> files;
    for (const auto& f : a->files) files.push_back(load_results_file(f));
    const MergeOutcome out = merge_results(files);
    for (const auto& w : out.warnings) fmt::print(stderr, "attnbench: merge: warning: {}\n", w);
    write_report(a->output, out.report);
    fmt::print("{} cases from {} files{}. Report: {}\n", out.report.results.size(), files.size(),
               out.duplicates ? fmt::format(" ({} duplicates dropped)", out.duplicates) : "", a->output);
    return kExitOk;
  };
}

const CommandRegistration kRegistration{70, add_merge_command};
}  // namespace

}  // namespace attn::cli
