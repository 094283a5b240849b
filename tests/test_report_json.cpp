// The report's JSON: every field of DESIGN.md §7 present, exact round trips, schema versioning.
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "report/input_json.hpp"
#include "report/result.hpp"

namespace attn {
namespace {

using nlohmann::json;

CaseResult filled_case() {
  CaseResult r;
  r.case_id = "performer/rank=64/gaussian/N=256/d=64/B=1/H=4/fp32/seed=3/cpu";
  r.method = "performer";
  r.family = "kernel";
  r.params = {{"num_features", 64}, {"orthogonal", true}};
  r.budget.rank = 64;
  r.realized.rank = 64;
  r.input.distribution = "clustered";
  r.input.seq_len = 256;
  r.input.heads = 4;
  r.input.seed = 3;
  r.input.temperature = 2.5;
  r.input.clusters = 7;
  r.device = Device::cpu;
  r.status = "ok";
  r.time_ms = summarize({1.5, 1.25, 1.75, 1.0 / 3.0});
  r.setup_ms = 0.125;
  r.first_call_ms = 9.75;
  r.repetitions = 4;
  r.warmup = 1;
  r.peak_workspace_bytes = 123456;
  r.estimated_workspace_bytes = 130000.5;
  r.peak_rss_bytes = 987654321;
  r.flops_dense = 4.0 * 4 * 256 * 256 * 64;
  r.flops_algorithmic = 1e6 / 3;
  r.gflops_per_s = 12.345;
  r.gflops_algorithmic_per_s = 0.1;
  r.error = ErrorMetrics{0.0123, 0.5, 0.99, 0.9, 0};
  r.own_error = ErrorMetrics{1e-7, 2e-6, 1.0, 0.999999, 0};
  r.trivial_rel_fro = 0.97;
  r.noise_floor_rel_fro = 3e-8;
  r.diagnostics = {{"bad_rows", 0}, {"note", "x"}};
  r.device_used_bytes = 48 << 20;
  r.timer = "cuda-events";
  r.cold_l2 = true;
  r.gpu_clocks = GpuClockRecord{.sm_mhz_start = 1980, .sm_mhz_end = 1755, .throttle_reasons = {"sw_power_cap"}};
  return r;
}

Report filled_report() {
  Report rep;
  rep.context.host = "h";
  rep.context.date = "2024-01-02T03:04:05Z";
  rep.context.cpu_model = "AMD EPYC";
  rep.context.cores = 2;
  rep.context.threads = 2;
  rep.context.blas_vendor = "OpenBLAS";
  rep.context.blas_version = "0.3.21";
  rep.context.cuda.present = true;
  rep.context.cuda.device = "NVIDIA H200";
  rep.context.cuda.memory_bytes = int64_t{140} << 30;
  rep.context.warnings = {"debug build"};
  rep.spec = {{"name", "quick"}, {"repetitions", 5}};
  rep.spec_sha256 = "abc123";
  rep.tool_version = "0.1.0";
  rep.git_commit = "deadbeef";
  rep.results.push_back(filled_case());
  CaseResult skipped = filled_case();
  skipped.case_id += "/2";
  skipped.status = "skipped";
  skipped.reason = "estimated 40 GiB > budget 16 GiB";
  skipped.error.reset();
  skipped.own_error.reset();
  skipped.trivial_rel_fro.reset();
  skipped.noise_floor_rel_fro.reset();
  skipped.peak_rss_bytes.reset();
  skipped.time_ms = {};
  rep.results.push_back(skipped);
  return rep;
}

// "a.b[0].c" -> does the key path exist?
bool has_path(const json& j, const std::string& path) {
  const json* cur = &j;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '.') ++pos;
    if (path[pos] == '[') {
      const auto close = path.find(']', pos);
      const auto idx = std::stoul(path.substr(pos + 1, close - pos - 1));
      if (!cur->is_array() || idx >= cur->size()) return false;
      cur = &(*cur)[idx];
      pos = close + 1;
      continue;
    }
    const auto end = path.find_first_of(".[", pos);
    const std::string key = path.substr(pos, end - pos);
    if (!cur->is_object() || !cur->contains(key)) return false;
    cur = &(*cur)[key];
    pos = end == std::string::npos ? path.size() : end;
  }
  return true;
}

TEST(ReportJson, EveryDesignFieldIsPresent) {
  const json j = to_json(filled_report());
  for (const char* path : {
           "schema", "tool.name", "tool.version", "tool.git_commit", "interrupted",
           "context.date", "context.host", "context.os", "context.cpu.model", "context.cpu.cores", "context.threads",
           "context.memory.total_bytes", "context.memory.available_bytes", "context.blas.vendor",
           "context.blas.version", "context.blas.coretype", "context.cuda.present", "context.cuda.device",
           "context.cuda.driver", "context.cuda.runtime", "context.cuda.memory_bytes", "context.compiler",
           "context.build_type", "context.thp_mode", "context.git_commit", "context.git_dirty", "context.warnings",
           "spec.name", "spec.sha256",
           "results[0].case_id", "results[0].method", "results[0].family", "results[0].params.num_features",
           "results[0].budget.rank", "results[0].budget.sparsity", "results[0].budget.realized_rank",
           "results[0].budget.realized_density",
           "results[0].input.distribution", "results[0].input.seq_len", "results[0].input.head_dim",
           "results[0].input.batch", "results[0].input.heads", "results[0].input.causal", "results[0].input.dtype",
           "results[0].input.seed",
           "results[0].device", "results[0].status", "results[0].reason",
           "results[0].time_ms.median", "results[0].time_ms.mean", "results[0].time_ms.min", "results[0].time_ms.max",
           "results[0].time_ms.stddev", "results[0].time_ms.cv", "results[0].time_ms.samples",
           "results[0].setup_ms", "results[0].first_call_ms", "results[0].repetitions", "results[0].warmup",
           "results[0].memory.peak_workspace_bytes", "results[0].memory.estimated_workspace_bytes",
           "results[0].memory.peak_rss_bytes", "results[0].memory.device_peak_bytes",
           "results[0].flops.dense", "results[0].flops.algorithmic", "results[0].gflops_per_s",
           "results[0].gflops_algorithmic_per_s",
           "results[0].error.reference", "results[0].error.rel_fro", "results[0].error.max_abs",
           "results[0].error.mean_cos", "results[0].error.min_cos", "results[0].error.scale_inv_rel_fro",
           "results[0].error.own_rel_fro",
           "results[0].error.own_max_abs", "results[0].error.trivial_rel_fro",
           "results[0].error.noise_floor_rel_fro", "results[0].error.attn_rel_fro", "results[0].error.attn_row_kl",
           "results[0].diagnostics.bad_rows", "results[1].error.rel_fro"}) {
    EXPECT_TRUE(has_path(j, path)) << path;
  }
  EXPECT_EQ(j["schema"], "attnbench.report/1");
  EXPECT_EQ(j["context"]["cpu"]["model"], "AMD EPYC");
  EXPECT_EQ(j["context"]["cuda"]["device"], "NVIDIA H200");
  EXPECT_EQ(j["results"][0]["time_ms"]["samples"].size(), 4u);
  EXPECT_EQ(j["results"][0]["memory"]["peak_rss_bytes"], 987654321);
  EXPECT_TRUE(j["results"][0]["memory"]["device_peak_bytes"].is_null());
  EXPECT_TRUE(j["results"][0]["budget"]["sparsity"].is_null());
  EXPECT_EQ(j["results"][0]["budget"]["realized_rank"], 64);
  EXPECT_EQ(j["results"][0]["error"]["own_rel_fro"], 1e-7);
  EXPECT_EQ(j["spec"]["sha256"], "abc123");
}

TEST(ReportJson, CaseThatDidNotRunHasNullErrorFields) {
  const json j = to_json(filled_report())["results"][1];
  EXPECT_EQ(j["status"], "skipped");
  EXPECT_EQ(j["reason"], "estimated 40 GiB > budget 16 GiB");
  ASSERT_TRUE(j["error"].is_object());
  EXPECT_EQ(j["error"]["reference"], "softmax-fp64");
  for (const char* key : {"rel_fro", "max_abs", "mean_cos", "min_cos", "nonfinite", "own_rel_fro", "own_max_abs",
                          "trivial_rel_fro", "noise_floor_rel_fro", "attn_rel_fro", "attn_row_kl"})
    EXPECT_TRUE(j["error"][key].is_null()) << key;
  EXPECT_TRUE(j["memory"]["peak_rss_bytes"].is_null());
}

TEST(ReportJson, CaseResultRoundTripsEveryField) {
  const CaseResult r = filled_case();
  const json once = to_json(r);
  const CaseResult back = case_result_from_json(json::parse(once.dump()));
  EXPECT_EQ(to_json(back), once);
  // Spot checks on the struct itself, so a field dropped on both sides still fails.
  EXPECT_EQ(back.family, "kernel");
  EXPECT_EQ(back.budget.rank, 64);
  EXPECT_FALSE(back.budget.sparsity.has_value());
  EXPECT_EQ(back.input.clusters, 7);
  EXPECT_EQ(back.input.temperature, 2.5);
  EXPECT_EQ(back.input.seed, 3u);
  EXPECT_EQ(back.time_ms.samples, r.time_ms.samples);
  EXPECT_EQ(back.first_call_ms, 9.75);
  EXPECT_EQ(back.estimated_workspace_bytes, 130000.5);
  EXPECT_EQ(back.peak_rss_bytes, 987654321);
  EXPECT_FALSE(back.device_peak_bytes.has_value());
  EXPECT_EQ(back.flops_algorithmic, 1e6 / 3);
  ASSERT_TRUE(back.error && back.own_error);
  EXPECT_EQ(back.error->min_cos, 0.9);
  EXPECT_EQ(back.own_error->min_cos, 0.999999);
  EXPECT_EQ(back.noise_floor_rel_fro, 3e-8);
  EXPECT_EQ(back.diagnostics["note"], "x");
  EXPECT_EQ(back.device_used_bytes, 48 << 20);
  EXPECT_EQ(back.timer, "cuda-events");
  EXPECT_TRUE(back.cold_l2);
  ASSERT_TRUE(back.gpu_clocks.has_value());
  EXPECT_EQ(back.gpu_clocks->sm_mhz_end, 1755);
  EXPECT_EQ(back.gpu_clocks->throttle_reasons, std::vector<std::string>{"sw_power_cap"});
}

TEST(ReportJson, OlderRecordsWithoutTimerFieldsReadAsHostClock) {
  json j = to_json(filled_case());
  j.erase("timer");
  j.erase("cold_l2");
  j.erase("gpu_clocks");
  const CaseResult back = case_result_from_json(j);
  EXPECT_EQ(back.timer, "host-clock");
  EXPECT_FALSE(back.cold_l2);
  EXPECT_FALSE(back.gpu_clocks.has_value());
  j["gpu_clocks"] = {{"sm_mhz_start", 1}, {"sm_mhz_end", 1}, {"throttle_reasons", "hot"}};
  EXPECT_THROW(case_result_from_json(j), UsageError);
}

TEST(ReportJson, NonFiniteErrorIsNullButStillPresent) {
  CaseResult r = filled_case();
  r.status = "nonfinite";
  r.error = ErrorMetrics{std::nan(""), std::nan(""), std::nan(""), std::nan(""), 12};
  r.own_error.reset();
  const json j = to_json(r);
  EXPECT_TRUE(j["error"]["rel_fro"].is_null());
  EXPECT_EQ(j["error"]["nonfinite"], 12);
  EXPECT_TRUE(j["error"]["own_nonfinite"].is_null());
  EXPECT_EQ(j.dump().find("NaN"), std::string::npos);
  const CaseResult back = case_result_from_json(j);
  ASSERT_TRUE(back.error.has_value());
  EXPECT_EQ(back.error->nonfinite, 12);
  EXPECT_TRUE(std::isnan(back.error->rel_fro));
  EXPECT_FALSE(back.own_error.has_value());
  EXPECT_EQ(to_json(back), j);
}

TEST(ReportJson, ReportRoundTrips) {
  const json once = to_json(filled_report());
  const Report back = report_from_json(json::parse(once.dump(2)), "r.json");
  EXPECT_EQ(to_json(back), once);
  EXPECT_EQ(back.spec_sha256, "abc123");
  EXPECT_FALSE(back.spec.contains("sha256"));  // the hash is held apart from the spec it hashes
  EXPECT_EQ(back.context.cpu_model, "AMD EPYC");
  EXPECT_EQ(back.context.cuda.device, "NVIDIA H200");
  EXPECT_EQ(back.results.size(), 2u);
  EXPECT_EQ(back.results[1].status, "skipped");
  EXPECT_FALSE(back.interrupted);
}

TEST(ReportJson, InterruptedFlagRoundTrips) {
  Report rep = filled_report();
  rep.interrupted = true;
  EXPECT_TRUE(report_from_json(to_json(rep), "r.json").interrupted);
}

TEST(ReportJson, UnknownMajorVersionIsRejected) {
  json j = to_json(filled_report());
  j["schema"] = "attnbench.report/2";
  try {
    report_from_json(j, "new.json");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("new.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find("attnbench.report/2"), std::string::npos) << msg;
  }
  j["schema"] = "attnbench.report/1.4";  // a newer minor version of the same major reads fine
  EXPECT_NO_THROW(report_from_json(j, "minor.json"));
}

TEST(ReportJson, MissingOrForeignSchemaIsRejected) {
  json j = to_json(filled_report());
  j.erase("schema");
  EXPECT_THROW(report_from_json(j, "old.json"), UsageError);
  j["schema"] = "something.else/1";
  EXPECT_THROW(report_from_json(j, "x.json"), UsageError);
  EXPECT_THROW(report_from_json(json::array(), "x.json"), UsageError);
}

TEST(ReportJson, MalformedRecordNamesTheField) {
  json j = to_json(filled_report());
  j["results"][1]["memory"]["peak_workspace_bytes"] = "lots";
  try {
    report_from_json(j, "bad.json");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("bad.json: results[1].memory.peak_workspace_bytes"), std::string::npos) << msg;
  }
  json c = to_json(filled_case());
  c.erase("case_id");
  EXPECT_THROW(case_result_from_json(c), UsageError);
  c = to_json(filled_case());
  c["status"] = "fine";
  EXPECT_THROW(case_result_from_json(c), UsageError);
  c = to_json(filled_case());
  c["device"] = "tpu";
  EXPECT_THROW(case_result_from_json(c), UsageError);
}

TEST(InputJson, RoundTripsEachDistribution) {
  for (const char* dist : {"gaussian", "clustered", "local", "lowrank", "file"}) {
    InputSpec s;
    s.distribution = dist;
    s.seq_len = 97;
    s.head_dim = 40;
    s.batch = 2;
    s.heads = 3;
    s.causal = true;
    s.seed = 18446744073709551615ull;
    s.temperature = 0.25;
    s.clusters = 5;
    s.subspace_dim = 3;
    s.smoothing = 9;
    s.q_path = "q.npy";
    s.k_path = "k.npy";
    s.v_path = "v.npy";
    const json j = s.to_json();
    const InputSpec back = input_spec_from_json(json::parse(j.dump()));
    EXPECT_EQ(back.to_json(), j) << dist;
    EXPECT_EQ(back.seed, s.seed);
    EXPECT_TRUE(back.causal);
  }
}

TEST(InputJson, BadValuesAreUsageErrors) {
  InputSpec s;
  s.seq_len = 64;
  json j = s.to_json();
  j["dtype"] = "fp8";
  EXPECT_THROW(input_spec_from_json(j), UsageError);
  j = s.to_json();
  j.erase("seq_len");
  EXPECT_THROW(input_spec_from_json(j), UsageError);
  j = s.to_json();
  j["seed"] = -1;
  EXPECT_THROW(input_spec_from_json(j), UsageError);
}

}  // namespace
}  // namespace attn
