// Hand-made result records and reports for the report/compare/merge tests: every number is chosen
// by the test, so the expected verdicts and tables are known exactly.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "metrics/timing_stats.hpp"
#include "report/result.hpp"

namespace attn::test {

struct RecordSpec {
  std::string method = "exact";
  int64_t n = 1024;
  uint64_t seed = 0;
  std::string status = "ok";
  std::vector<double> samples = {1.0, 1.0, 1.0};
  double rel_fro = 1e-7;
  int64_t peak_bytes = 1 << 20;
  std::optional<int64_t> rank;
  std::optional<double> sparsity;
  std::string distribution = "gaussian";
  nlohmann::json params = nlohmann::json::object();
};

inline CaseResult make_record(const RecordSpec& s) {
  CaseResult r;
  r.method = s.method;
  r.family = s.method == "exact" || s.method == "flash" ? "exact" : "kernel";
  r.params = s.params;
  r.budget.rank = s.rank;
  r.budget.sparsity = s.sparsity;
  r.realized.rank = s.rank;
  r.input.distribution = s.distribution;
  r.input.seq_len = s.n;
  r.input.head_dim = 64;
  r.input.heads = 1;
  r.input.seed = s.seed;
  std::string budget = s.rank ? fmt::format("rank={}/", *s.rank) : s.sparsity ? fmt::format("sparsity={:g}/", *s.sparsity) : "";
  r.case_id = fmt::format("{}/{}{}/cpu", s.method, budget, r.input.id_fragment());
  r.status = s.status;
  if (s.status != "ok") r.reason = "because " + s.status;
  if (s.status == "ok") {
    r.time_ms = summarize(s.samples);
    r.repetitions = static_cast<int>(s.samples.size());
    r.peak_workspace_bytes = s.peak_bytes;
    r.error = ErrorMetrics{.rel_fro = s.rel_fro, .max_abs = s.rel_fro, .mean_cos = 1, .min_cos = 1, .nonfinite = 0};
    r.noise_floor_rel_fro = 1e-7;
  }
  return r;
}

// A report whose context says it ran on `cpu_model` (the fingerprint compare checks).
inline Report make_report(std::vector<CaseResult> results, const std::string& cpu_model = "Test CPU", int threads = 2) {
  Report rep;
  rep.context.cpu_model = cpu_model;
  rep.context.cores = 2;
  rep.context.threads = threads;
  rep.context.blas_vendor = "OpenBLAS";
  rep.context.blas_version = "0.3.21";
  rep.context.blas_coretype = "Haswell";
  rep.context_json = to_json(rep.context);
  rep.spec = {{"name", "fixture"}};
  rep.spec_sha256 = "abc";
  rep.tool_version = "0.1.0";
  rep.git_commit = "000000000000";
  rep.results = std::move(results);
  return rep;
}

// Ten samples around `median` with a +-1% spread, deterministic (no two equal).
inline std::vector<double> samples_around(double median, int count = 10, double spread = 0.01) {
  std::vector<double> s;
  for (int i = 0; i < count; ++i) s.push_back(median * (1 + spread * (((i * 7) % count) - (count - 1) / 2.0) / (count / 2.0)));
  return s;
}

}  // namespace attn::test
