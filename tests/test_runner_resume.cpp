// Nothing measured is lost or measured twice: --resume keeps this spec's results from the JSONL
// (not another spec's, not ones measured with other settings), --retry-failed runs failures again,
// a torn last line is ignored, and a run without --resume sets earlier files aside instead of
// deleting them. The SIGKILL test through the binary is in test_cli_resume.cpp.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "report/report_io.hpp"
#include "runner/fault_injection.hpp"
#include "runner/resume.hpp"
#include "runner/sweep.hpp"

namespace attn {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("attnbench-resume-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

const char* kSpec = R"({"name": "r", "inputs": {"seq_len": [32, 48], "head_dim": 8},
  "methods": [{"name": "exact"}, {"name": "flash"}, {"name": "mean-v"}], "repetitions": 2, "warmup": 0})";

RunOptions options_for(const fs::path& dir) {
  RunOptions o;
  o.output_json = (dir / "r.json").string();
  o.threads = 1;
  o.progress = false;
  return o;
}

TEST(Resume, KeepsThisSpecsResultsAndRunsTheRest) {
  const auto dir = temp_dir("keep");
  const Spec spec = parse_spec_text(kSpec, "test");
  RunOptions first = options_for(dir);
  first.filter_regex = "N=32";
  const auto a = run_sweep(spec, first);
  ASSERT_EQ(a.report.results.size(), 3u);

  RunOptions second = options_for(dir);
  second.resume = true;
  const auto b = run_sweep(spec, second);
  EXPECT_EQ(b.resumed, 3u);
  EXPECT_EQ(b.ran, 3u);
  ASSERT_EQ(b.report.results.size(), 6u);
  // The kept results are the earlier measurements, byte for byte, in the uninterrupted order.
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(to_json(b.report.results[i]), to_json(a.report.results[i]));
  EXPECT_EQ(read_jsonl(b.jsonl_path).size(), 6u);  // appended, nothing rewritten

  const auto c = run_sweep(spec, second);  // everything is there: nothing runs
  EXPECT_EQ(c.ran, 0u);
  EXPECT_EQ(c.resumed, 6u);
  EXPECT_EQ(read_jsonl(c.jsonl_path).size(), 6u);
  fs::remove_all(dir);
}

TEST(Resume, OtherSpecsAndOtherSettingsAreNotReused) {
  const auto dir = temp_dir("other");
  const Spec spec = parse_spec_text(kSpec, "test");
  run_sweep(spec, options_for(dir));
  std::string edited = kSpec;
  edited.replace(edited.find("\"r\""), 3, "\"r2\"");  // same cases, another spec (hash)
  RunOptions resume = options_for(dir);
  resume.resume = true;
  const auto b = run_sweep(parse_spec_text(edited, "test"), resume);
  EXPECT_EQ(b.resumed, 0u);
  EXPECT_EQ(b.ran, 6u);

  resume.repetitions = 3;  // ok results measured with 2 repetitions do not stand for 3
  const auto c = run_sweep(spec, resume);
  EXPECT_EQ(c.resumed, 0u);
  for (const auto& r : c.report.results) EXPECT_EQ(r.time_ms.samples.size(), 3u);
  fs::remove_all(dir);
}

TEST(Resume, RetryFailedRunsFailuresAgain) {
  const auto dir = temp_dir("retry");
  const Spec spec = parse_spec_text(kSpec, "test");
  const std::string failing = "flash/gaussian/N=48/d=8/B=1/H=1/fp32/seed=0/cpu";
  ::setenv(kFaultEnv, ("throw@" + failing).c_str(), 1);
  run_sweep(spec, options_for(dir));
  ::unsetenv(kFaultEnv);
  RunOptions resume = options_for(dir);
  resume.resume = true;
  const auto kept = run_sweep(spec, resume);  // an error is terminal: kept as it is
  EXPECT_EQ(kept.ran, 0u);
  resume.retry_failed = true;
  const auto retried = run_sweep(spec, resume);
  EXPECT_EQ(retried.ran, 1u);
  for (const auto& r : retried.report.results) EXPECT_EQ(r.status, "ok") << r.case_id;
  // On a later resume the newer record wins over the failed one.
  resume.retry_failed = false;
  const auto later = run_sweep(spec, resume);
  EXPECT_EQ(later.ran, 0u);
  for (const auto& r : later.report.results) EXPECT_EQ(r.status, "ok") << r.case_id;
  fs::remove_all(dir);
}

TEST(Resume, ATornLastLineIsIgnoredAndItsCaseRunsAgain) {
  const auto dir = temp_dir("torn");
  const Spec spec = parse_spec_text(kSpec, "test");
  const auto a = run_sweep(spec, options_for(dir));
  // Cut the JSONL in the middle of its last record, as a kill during the write would.
  std::string text;
  {
    std::ifstream in(a.jsonl_path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto last = text.rfind('\n', text.size() - 2);
  std::ofstream(a.jsonl_path, std::ios::trunc) << text.substr(0, last + 1 + 40);
  RunOptions resume = options_for(dir);
  resume.resume = true;
  const auto b = run_sweep(spec, resume);
  EXPECT_EQ(b.resumed, 5u);
  EXPECT_EQ(b.ran, 1u);
  EXPECT_EQ(read_jsonl(b.jsonl_path).size(), 6u);
  ASSERT_EQ(b.report.results.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(b.report.results[i].case_id, a.report.results[i].case_id);
  fs::remove_all(dir);
}

TEST(Resume, ARunWithoutResumeSetsEarlierFilesAside) {
  const auto dir = temp_dir("aside");
  const Spec spec = parse_spec_text(kSpec, "test");
  const auto a = run_sweep(spec, options_for(dir));
  const auto b = run_sweep(spec, options_for(dir));
  ASSERT_EQ(b.set_aside.size(), 2u);
  EXPECT_EQ(read_jsonl(a.jsonl_path + ".~1~").size(), 6u);
  EXPECT_EQ(read_report(a.json_path + ".~1~").results.size(), 6u);
  const auto c = run_sweep(spec, options_for(dir));
  EXPECT_TRUE(fs::exists(a.jsonl_path + ".~2~"));
  EXPECT_EQ(read_jsonl(c.jsonl_path).size(), 6u);  // the new run's own lines only
  RunOptions no_path = options_for(dir);
  no_path.output_json.clear();
  no_path.resume = true;
  EXPECT_THROW(run_sweep(spec, no_path), UsageError);
  fs::remove_all(dir);
}

TEST(Resume, LoadPriorResultsFiltersRecords) {
  const auto dir = temp_dir("load");
  const auto path = (dir / "x.jsonl").string();
  {
    JsonlWriter w(path);
    CaseResult r;
    r.case_id = "a";
    r.method = "exact";
    r.repetitions = 2;
    r.spec_sha256 = "h";
    w.append(r);
    r.case_id = "b";
    r.spec_sha256 = "other";
    w.append(r);
    r.case_id = "c";
    r.spec_sha256 = "h";
    r.status = "crash";
    w.append(r);
    r.case_id = "d";
    r.status = "ok";
    r.repetitions = 5;
    w.append(r);
  }
  const auto keep = load_prior_results(path, "h", 2, 0, false);
  EXPECT_EQ(keep.by_id.size(), 2u);  // a, c
  EXPECT_EQ(keep.other_spec, 1u);
  EXPECT_EQ(keep.other_settings, 1u);
  const auto retry = load_prior_results(path, "h", 2, 0, true);
  EXPECT_EQ(retry.by_id.size(), 1u);
  EXPECT_EQ(retry.retried, 1u);
  EXPECT_TRUE(load_prior_results((dir / "none.jsonl").string(), "h", 2, 0, false).by_id.empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace attn
