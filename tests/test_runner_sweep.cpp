// The runner end to end on bench_specs/smoke.json: every case gets a status, the JSONL holds one
// line per finished case, the report carries every field of DESIGN.md §7, statuses are data.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "report/report_io.hpp"
#include "runner/sweep.hpp"

namespace attn {
namespace {

std::filesystem::path temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("attnbench-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

class SmokeSweep : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = temp_dir("smoke");
    spec_ = new Spec(load_spec_file(ATTNBENCH_SOURCE_DIR "/bench_specs/smoke.json"));
    RunOptions options;
    options.output_json = (dir_ / "smoke.json").string();
    options.threads = 2;
    options.progress = false;
    options.save_inputs_dir = (dir_ / "inputs").string();
    outcome_ = new SweepOutcome(run_sweep(*spec_, options));
  }
  static void TearDownTestSuite() {
    delete outcome_;
    delete spec_;
    std::filesystem::remove_all(dir_);
  }
  static inline std::filesystem::path dir_;
  static inline Spec* spec_ = nullptr;
  static inline SweepOutcome* outcome_ = nullptr;
};

TEST_F(SmokeSweep, EveryCaseHasAResultAndTheExpectedStatus) {
  const auto& results = outcome_->report.results;
  ASSERT_EQ(results.size(), spec_->cases.size());
  for (const auto& r : results) {
    if (r.method == "nystrom" && r.input.causal) {
      EXPECT_EQ(r.status, "unsupported") << r.case_id;
      EXPECT_TRUE(r.reason.has_value());
    } else {
      EXPECT_EQ(r.status, "ok") << r.case_id << ": " << r.reason.value_or("");
      EXPECT_EQ(r.time_ms.samples.size(), 2u) << r.case_id;
      ASSERT_TRUE(r.error.has_value()) << r.case_id;
      if (r.family == "exact") EXPECT_LT(r.error->rel_fro, 1e-5) << r.case_id;
      EXPECT_GT(r.trivial_rel_fro.value_or(0), 0) << r.case_id;
    }
  }
}

TEST_F(SmokeSweep, JsonlHasOneLinePerCaseAndMatchesTheReport) {
  const auto lines = read_jsonl(outcome_->jsonl_path);
  ASSERT_EQ(lines.size(), outcome_->report.results.size());
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i].case_id, outcome_->report.results[i].case_id);
}

TEST_F(SmokeSweep, ReportOnDiskCarriesTheDesignFields) {
  std::ifstream f(outcome_->json_path);
  const auto j = nlohmann::json::parse(f);
  EXPECT_EQ(j.at("schema"), "attnbench.report/1");
  for (const char* key : {"/tool/name", "/tool/version", "/tool/git_commit", "/context/date", "/context/host",
                          "/context/cpu/model", "/context/cpu/cores", "/context/threads", "/context/blas/vendor",
                          "/context/blas/version", "/context/compiler", "/context/build_type", "/context/thp_mode",
                          "/spec/sha256", "/spec/name"})
    EXPECT_TRUE(j.contains(nlohmann::json::json_pointer(key))) << key;
  const auto& r = j.at("results").at(0);
  for (const char* key : {"/case_id", "/method", "/params", "/budget/rank", "/budget/sparsity", "/budget/realized_rank",
                          "/budget/realized_density", "/input/distribution", "/input/seq_len", "/input/head_dim",
                          "/input/batch", "/input/heads", "/input/causal", "/input/dtype", "/input/seed", "/device",
                          "/status", "/reason", "/time_ms/median", "/time_ms/mean", "/time_ms/min", "/time_ms/max",
                          "/time_ms/stddev", "/time_ms/samples", "/memory/peak_workspace_bytes",
                          "/memory/peak_rss_bytes", "/memory/device_peak_bytes", "/flops", "/gflops_per_s",
                          "/error/reference", "/error/rel_fro", "/error/max_abs", "/error/mean_cos",
                          "/error/own_rel_fro", "/error/attn_rel_fro", "/error/attn_row_kl", "/setup_ms",
                          "/first_call_ms"})
    EXPECT_TRUE(r.contains(nlohmann::json::json_pointer(key))) << key;
  // Reading it back gives the same results.
  const Report back = read_report(outcome_->json_path);
  ASSERT_EQ(back.results.size(), outcome_->report.results.size());
  EXPECT_EQ(to_json(back.results.back()), to_json(outcome_->report.results.back()));
}

TEST_F(SmokeSweep, SavedInputsAreReadableNpy) {
  size_t groups = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "inputs")) {
    ++groups;
    for (const char* f : {"q.npy", "k.npy", "v.npy"}) EXPECT_TRUE(std::filesystem::exists(entry.path() / f));
  }
  EXPECT_EQ(groups, 8u);  // 2 distributions x 2 N x 2 causal
}

TEST(Sweep, UnwritableOutputFailsBeforeMeasuringAnything) {
  const auto dir = temp_dir("unwritable");
  std::ofstream(dir / "file") << "x";
  const Spec spec = load_spec_file(ATTNBENCH_SOURCE_DIR "/bench_specs/smoke.json");
  RunOptions options;
  options.output_json = (dir / "file" / "report.json").string();  // a folder under a regular file
  options.progress = false;
  EXPECT_THROW(run_sweep(spec, options), UsageError);
  std::filesystem::remove_all(dir);
}

TEST(Sweep, OverTheMemoryBudgetIsSkippedWithTheEstimate) {
  const auto dir = temp_dir("budget");
  const Spec spec = parse_spec_text(
      R"({"name": "big", "inputs": {"seq_len": 2048, "head_dim": 32}, "methods": [{"name": "exact"}, {"name": "mean-v"}],
          "repetitions": 1, "warmup": 0, "memory_budget_gib": 0.01})",
      "test");
  RunOptions options;
  options.output_json = (dir / "big.json").string();
  options.progress = false;
  const auto outcome = run_sweep(spec, options);
  ASSERT_EQ(outcome.report.results.size(), 2u);
  EXPECT_EQ(outcome.report.results[0].status, "skipped");
  EXPECT_NE(outcome.report.results[0].reason.value_or("").find("GiB"), std::string::npos);
  EXPECT_EQ(outcome.report.results[1].status, "ok");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace attn
