// One case's result and the report that holds them (DESIGN.md §7, docs/report-schema.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dtype.hpp"
#include "core/sysinfo.hpp"
#include "inputs/input_spec.hpp"
#include "methods/method.hpp"
#include "metrics/attention_probe.hpp"
#include "metrics/error_metrics.hpp"
#include "metrics/timing_stats.hpp"

namespace attn {

inline constexpr const char* kReportSchema = "attnbench.report/1";

// The GPU's SM clock around a case's timed samples and what limited it (NVML; absent without it).
struct GpuClockRecord {
  int sm_mhz_start = 0;
  int sm_mhz_end = 0;
  std::vector<std::string> throttle_reasons;  // union over start and end, idle excluded
};

struct CaseResult {
  std::string case_id;
  std::string method;
  std::string family;
  nlohmann::json params = nlohmann::json::object();
  Budget budget;
  Realized realized;
  InputSpec input;
  Device device = Device::cpu;
  std::string status = "ok";  // ok unsupported skipped oom timeout crash nonfinite error
  std::optional<std::string> reason;

  TimingStats time_ms;
  double setup_ms = 0;        // prepare(): data-independent set-up
  double first_call_ms = 0;   // the cold first forward (allocations, first touch)
  int repetitions = 0;
  int warmup = 0;
  // How samples were taken: "host-clock" (steady clock around a synchronized forward) or
  // "cuda-events" (events on the method's stream); cold_l2: the L2 was flushed before each sample.
  std::string timer = "host-clock";
  bool cold_l2 = false;
  std::optional<GpuClockRecord> gpu_clocks;

  int64_t peak_workspace_bytes = 0;
  double estimated_workspace_bytes = 0;
  std::optional<int64_t> peak_rss_bytes;
  std::optional<int64_t> device_peak_bytes;
  // GPU cases: device memory the case held at its end by cudaMemGetInfo (inputs, output, cuBLAS and
  // method workspace; the workspace is grow-only, so its peak is still held): the cross-check of the
  // tracked numbers and of the estimate, to the driver's 2 MiB allocation granularity.
  std::optional<int64_t> device_used_bytes;

  double flops_dense = 0;        // 4 B H N^2 d (halved when causal)
  double flops_algorithmic = 0;  // the method's own count
  double gflops_per_s = 0;       // dense-equivalent, at the median time
  double gflops_algorithmic_per_s = 0;

  std::string reference = "softmax-fp64";
  std::optional<ErrorMetrics> error;       // vs the softmax reference
  std::optional<ErrorMetrics> own_error;   // vs the method's own exact operator
  std::optional<double> trivial_rel_fro;   // mean-of-V predictor on the same input (the floor)
  // The implied N x N matrix vs softmax (methods linear in V, N up to the probe limit), and the best
  // matrix error any method could reach at this budget (Eckart-Young / top-k / GoDec).
  std::optional<AttentionMatrixMetrics> attention;
  std::optional<double> oracle_rel_fro;
  std::string oracle_kind;
  std::optional<double> noise_floor_rel_fro;  // exact kernel in the same dtype vs fp64
  nlohmann::json diagnostics = nlohmann::json::object();
  // The sha256 of the spec the case was run from (written only when set): lets --resume tell the
  // JSONL records of this spec from those of an edited one.
  std::string spec_sha256;
};

struct Report {
  SystemInfo context;
  nlohmann::json context_json;   // as read back (context holds what this process gathered)
  nlohmann::json spec;           // the spec as run
  std::string spec_sha256;
  std::string tool_version;
  std::string git_commit;
  bool interrupted = false;
  std::vector<CaseResult> results;
};

nlohmann::json to_json(const CaseResult& r);
CaseResult case_result_from_json(const nlohmann::json& j);  // throws UsageError on a malformed record
nlohmann::json to_json(const Report& r);
Report report_from_json(const nlohmann::json& j, const std::string& source);  // rejects unknown major schema

}  // namespace attn
