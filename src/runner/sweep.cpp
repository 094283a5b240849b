#include "runner/sweep.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <regex>

#include "core/error.hpp"
#include "core/gpu_timing.hpp"
#include "core/threads.hpp"
#include "report/report_io.hpp"
#include "runner/cost_estimate.hpp"
#include "runner/group_runner.hpp"
#include "runner/interrupt.hpp"
#include "runner/isolated_group.hpp"
#include "runner/progress.hpp"
#include "runner/resume.hpp"

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

std::vector<std::vector<const Case*>> group_by_input(const std::vector<const Case*>& cases) {
  std::vector<std::vector<const Case*>> groups;
  std::map<std::string, size_t> index;
  for (const Case* c : cases) {
    const auto [it, fresh] = index.emplace(c->input.group_key(), groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(c);
  }
  return groups;
}

namespace {

// The spec's name as a file name: a name like "../../x" must not place the report outside results/.
std::string file_name_part(const std::string& name) {
  std::string out;
  for (char ch : name) {
    const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                      ch == '_' || (ch == '.' && !out.empty());
    out += keep ? ch : '_';
  }
  return out.empty() ? "spec" : out.substr(0, 80);
}

std::string default_output_path(const Spec& spec, const std::optional<Shard>& shard) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  const std::string part = shard ? fmt::format("-shard{}of{}", shard->index, shard->count) : "";
  return fmt::format("results/{}-{}{}.json", file_name_part(spec.name), stamp, part);
}

// The in-process and isolated group runners report here: the JSONL first (fsynced), then progress.
class SweepSink : public GroupSink {
 public:
  SweepSink(JsonlWriter& jsonl, Progress& progress, const std::map<std::string, double>& costs,
            std::map<std::string, CaseResult>& results, const std::string& spec_sha256)
      : jsonl_(jsonl), progress_(progress), costs_(costs), results_(results), spec_sha256_(spec_sha256) {}
  void case_started(const Case& c) override { progress_.start(c.id, costs_.at(c.id)); }
  void case_finished(CaseResult r) override {
    r.spec_sha256 = spec_sha256_;
    jsonl_.append(r);
    progress_.finish(r, costs_.count(r.case_id) ? costs_.at(r.case_id) : 0.0);
    const std::string id = r.case_id;
    results_.insert_or_assign(id, std::move(r));
  }
  bool stop_requested() override { return InterruptGuard::requested() != 0; }
  void tick() override { progress_.tick(); }

 private:
  JsonlWriter& jsonl_;
  Progress& progress_;
  const std::map<std::string, double>& costs_;
  std::map<std::string, CaseResult>& results_;
  const std::string& spec_sha256_;
};

}  // namespace

SweepOutcome run_sweep(const Spec& spec, const RunOptions& options) {
  const int threads = set_threads(options.threads);
  SweepOutcome outcome;
  if (options.resume && options.output_json.empty())
    throw UsageError("--resume: give the report path (-o) of the run to resume");
  outcome.json_path = options.output_json.empty() ? default_output_path(spec, options.shard) : options.output_json;
  outcome.jsonl_path = jsonl_path_for(outcome.json_path);
  check_writable(outcome.json_path);  // fail before measuring anything, not after

  const auto selected = select_cases(spec, options);
  if (selected.empty()) throw UsageError("no case left to run (check --filter and --device)");
  // An empty shard (more shards than work) is legitimate: it writes an empty report.
  const auto cases = options.shard ? shard_cases(selected, *options.shard) : selected;

  CaseSettings settings{.repetitions = options.repetitions.value_or(spec.repetitions),
                        .warmup = options.warmup.value_or(spec.warmup),
                        .threads = threads,
                        .memory_budget = memory_budget(options.memory_budget_gib.value_or(spec.memory_budget_gib))};
  settings.attn_metrics_max_n = options.attn_metrics_max_n.value_or(spec.attn_metrics_max_n);
  settings.cold_l2 = options.cold_l2;
  const double timeout_s = options.timeout_s.value_or(spec.timeout_s);

  std::map<std::string, CaseResult> results;
  if (options.resume) {
    PriorResults prior = load_prior_results(outcome.jsonl_path, spec.sha256, settings.repetitions, settings.warmup,
                                            options.retry_failed);
    if (prior.other_spec > 0)
      fmt::print(stderr, "attnbench: {}: {} records of another spec (or an older attnbench) are ignored\n",
                 outcome.jsonl_path, prior.other_spec);
    if (prior.other_settings > 0)
      fmt::print(stderr, "attnbench: {}: {} results measured with other repetitions/warm-up run again\n",
                 outcome.jsonl_path, prior.other_settings);
    for (const Case* c : cases) {
      auto it = prior.by_id.find(c->id);
      if (it == prior.by_id.end()) continue;
      results.emplace(c->id, std::move(it->second));
      ++outcome.resumed;
    }
  } else {
    outcome.set_aside = set_aside_previous(outcome.json_path, outcome.jsonl_path);
    for (const auto& p : outcome.set_aside) fmt::print(stderr, "attnbench: earlier results kept as {}\n", p);
  }
  JsonlWriter jsonl(outcome.jsonl_path);

  Report& report = outcome.report;
  report.context = gather_system_info(threads);
  // The device's facts, when any selected case runs on it (the CPU-only report stays free of them).
  if (std::any_of(cases.begin(), cases.end(), [](const Case* c) { return c->device == Device::cuda; }))
    report.context.cuda = query_cuda_info();
  report.spec = spec.raw;
  report.spec_sha256 = spec.sha256;

  std::map<std::string, double> costs;
  std::vector<const Case*> to_run;
  double total_cost = 0;
  for (const Case* c : cases) {
    if (results.count(c->id)) continue;
    to_run.push_back(c);
    costs[c->id] = estimate_case_seconds(*c, settings.repetitions, settings.warmup);
    total_cost += costs[c->id];
  }
  const auto groups = group_by_input(to_run);
  for (const auto& g : groups) total_cost += estimate_reference_seconds(g.front()->input);

  Progress progress(to_run.size(), total_cost,
                    {.enabled = options.progress, .interval_s = options.progress_interval_s});
  SweepSink sink(jsonl, progress, costs, results, spec.sha256);
  const GroupSettings group_settings{.cases = settings, .save_inputs_dir = options.save_inputs_dir};
  IsolationSettings isolation;
  if (options.isolate) {
    isolation = {.worker_binary = options.worker_binary.empty() ? this_executable() : options.worker_binary,
                 .spec = spec.raw,
                 .group = group_settings,
                 .timeout_s = timeout_s};
  }
  {
    InterruptGuard guard;
    for (const auto& members : groups) {
      if (InterruptGuard::requested()) break;
      // Groups with nothing to run are recorded here: no worker needs to start for them.
      if (options.isolate && group_has_runnable_case(members, settings)) {
        if (!run_group_isolated(members, isolation, sink)) break;
      } else {
        run_group(members, group_settings, sink);
      }
      outcome.ran = results.size() - outcome.resumed;
    }
    outcome.interrupted_by = InterruptGuard::requested();
  }
  progress.done();
  outcome.ran = results.size() - outcome.resumed;

  // The report lists cases in the order an uninterrupted run would, whatever ran when.
  for (const auto& g : group_by_input(cases))
    for (const Case* c : g)
      if (auto it = results.find(c->id); it != results.end()) report.results.push_back(std::move(it->second));
  report.interrupted = outcome.interrupted_by != 0;
  write_report(outcome.json_path, report);
  return outcome;
}

}  // namespace attn
