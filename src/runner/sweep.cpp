#include "runner/sweep.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <regex>

#include "core/error.hpp"
#include "core/threads.hpp"
#include "inputs/distributions.hpp"
#include "report/report_io.hpp"
#include "runner/case_runner.hpp"
#include "runner/memory_estimate.hpp"
#include "runner/progress.hpp"

namespace attn {

std::string jsonl_path_for(const std::string& json_path) {
  std::filesystem::path p(json_path);
  return (p.parent_path() / (p.stem().string() + ".jsonl")).string();
}

std::vector<const Case*> select_cases(const Spec& spec, const RunOptions& options) {
  std::optional<std::regex> filter;
  if (!options.filter_regex.empty()) {
    try {
      filter.emplace(options.filter_regex);
    } catch (const std::regex_error& e) {
      throw UsageError(fmt::format("--filter: invalid regular expression '{}': {}", options.filter_regex, e.what()));
    }
  }
  std::optional<Device> device;
  if (options.device && *options.device != "all") device = parse_device(*options.device, "--device");
  std::vector<const Case*> out;
  for (const auto& c : spec.cases) {
    if (filter && !std::regex_search(c.id, *filter)) continue;
    if (device && c.device != *device) continue;
    out.push_back(&c);
  }
  return out;
}

namespace {

std::string default_output_path(const Spec& spec) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  return fmt::format("results/{}-{}.json", spec.name, stamp);
}

// One folder per input group, named after its id fragment ("gaussian/N=512/..." -> "gaussian_N=512_...").
std::string input_dir(const std::string& root, const InputSpec& input) {
  std::string name = input.id_fragment();
  for (char& ch : name)
    if (ch == '/') ch = '_';
  return (std::filesystem::path(root) / name).string();
}

}  // namespace

SweepOutcome run_sweep(const Spec& spec, const RunOptions& options) {
  const int threads = set_threads(options.threads);
  SweepOutcome outcome;
  outcome.json_path = options.output_json.empty() ? default_output_path(spec) : options.output_json;
  outcome.jsonl_path = jsonl_path_for(outcome.json_path);
  check_writable(outcome.json_path);  // fail before measuring anything, not after
  if (std::filesystem::exists(outcome.jsonl_path)) std::filesystem::remove(outcome.jsonl_path);
  JsonlWriter jsonl(outcome.jsonl_path);

  const auto cases = select_cases(spec, options);
  if (cases.empty()) throw UsageError("no case left to run (check --filter and --device)");

  CaseSettings settings{.repetitions = options.repetitions.value_or(spec.repetitions),
                        .warmup = options.warmup.value_or(spec.warmup),
                        .threads = threads,
                        .memory_budget_bytes = memory_budget_bytes(options.memory_budget_gib.value_or(spec.memory_budget_gib))};

  Report& report = outcome.report;
  report.context = gather_system_info(threads);
  report.spec = spec.raw;
  report.spec_sha256 = spec.sha256;

  // Group cases by input (stable order of first appearance), so each reference is computed once.
  std::vector<std::string> group_order;
  std::map<std::string, std::vector<const Case*>> groups;
  for (const Case* c : cases) {
    auto key = c->input.group_key();
    if (!groups.count(key)) group_order.push_back(key);
    groups[key].push_back(c);
  }

  Progress progress(cases.size(), options.progress);
  for (const auto& key : group_order) {
    const auto& members = groups[key];
    const InputSpec& input = members.front()->input;
    InputTensors tensors;
    Reference reference;
    try {
      tensors = make_inputs(input);
      if (!options.save_inputs_dir.empty()) save_inputs(tensors, input_dir(options.save_inputs_dir, input));
      reference = compute_reference(tensors, input.causal, threads);
    } catch (const std::exception& e) {
      // The group's inputs cannot be made (e.g. a .npy went missing mid-sweep): its cases record
      // the reason and the other groups still run.
      for (const Case* c : members) {
        CaseResult r = describe_case(*c, threads);
        r.status = "error";
        r.reason = fmt::format("inputs: {}", e.what());
        jsonl.append(r);
        progress.finish(r);
        report.results.push_back(std::move(r));
      }
      continue;
    }
    for (const Case* c : members) {
      progress.start(c->id);
      CaseResult r = run_case(*c, tensors, reference, settings);
      jsonl.append(r);
      progress.finish(r);
      report.results.push_back(std::move(r));
    }
  }
  progress.done();
  write_report(outcome.json_path, report);
  return outcome;
}

}  // namespace attn
