#include "report/gbench_json.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace attn {
namespace {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(0.0); }

// The fields every entry of one benchmark shares.
json entry(const CaseResult& r, int family, int reps) {
  return {{"name", r.case_id},         {"family_index", family}, {"per_family_instance_index", 0},
          {"run_name", r.case_id},     {"repetitions", reps},    {"threads", 1},
          {"iterations", 1},           {"time_unit", "ms"}};
}

void add_counters(json& e, const CaseResult& r) {
  e["gflops_per_s"] = number(r.gflops_per_s);
  e["peak_workspace_bytes"] = static_cast<double>(r.peak_workspace_bytes);
  if (r.error && std::isfinite(r.error->rel_fro)) e["rel_fro"] = r.error->rel_fro;
}

}  // namespace

std::string gbench_json(const Report& report) {
  const SystemInfo& c = report.context;
  json context = {
      {"date", c.date},
      {"host_name", c.host},
      {"executable", "attnbench"},
      {"num_cpus", c.cores},
      {"mhz_per_cpu", 0},
      {"cpu_scaling_enabled", false},
      {"caches", json::array()},
      {"load_avg", json::array()},
      {"library_build_type", c.build_type == "Release" ? "release" : "debug"},
      {"json_schema_version", 1},
      // Not Google Benchmark fields: where the numbers came from and how to read them.
      {"attnbench_version", report.tool_version.empty() ? c.version : report.tool_version},
      {"attnbench_spec_sha256", report.spec_sha256},
      {"attnbench_note", "cpu_time repeats real_time: attnbench measures wall time (CUDA events on the GPU)"},
  };
  json benchmarks = json::array();
  int family = 0;
  for (const auto& r : report.results) {
    const auto& samples = r.time_ms.samples;
    if (r.status != "ok" || samples.empty()) {
      json e = entry(r, family++, 1);
      e["run_type"] = "iteration";
      e["repetition_index"] = 0;
      e["error_occurred"] = true;
      e["error_message"] = fmt::format("{}{}", r.status, r.reason ? ": " + *r.reason : "");
      e["real_time"] = 0.0;
      e["cpu_time"] = 0.0;
      benchmarks.push_back(e);
      continue;
    }
    const int reps = static_cast<int>(samples.size());
    for (int i = 0; i < reps; ++i) {
      json e = entry(r, family, reps);
      e["run_type"] = "iteration";
      e["repetition_index"] = i;
      e["real_time"] = number(samples[static_cast<size_t>(i)]);
      e["cpu_time"] = number(samples[static_cast<size_t>(i)]);
      add_counters(e, r);
      benchmarks.push_back(e);
    }
    const std::pair<const char*, double> aggregates[] = {
        {"mean", r.time_ms.mean}, {"median", r.time_ms.median}, {"stddev", r.time_ms.stddev}, {"cv", r.time_ms.cv}};
    for (const auto& [name, value] : aggregates) {
      json e = entry(r, family, reps);
      e["name"] = fmt::format("{}_{}", r.case_id, name);
      e["run_type"] = "aggregate";
      e["aggregate_name"] = name;
      e["aggregate_unit"] = std::string(name) == "cv" ? "percentage" : "time";
      e["real_time"] = number(value);
      e["cpu_time"] = number(value);
      add_counters(e, r);
      benchmarks.push_back(e);
    }
    ++family;
  }
  return json{{"context", context}, {"benchmarks", benchmarks}}.dump(2) + "\n";
}

}  // namespace attn
