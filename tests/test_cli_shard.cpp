// Sharding through the binary: four shards of the smoke spec (three by --shard, one by the Slurm
// array environment) together hold exactly the unsharded case set; validate shows a shard's share
// and the memory-budget decisions before anything runs; a hostile spec name cannot place the
// report outside results/.
#include <gtest/gtest.h>

#include "support/shell.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <fmt/format.h>

#include "report/report_io.hpp"
#include "spec/spec.hpp"

namespace attn {
namespace {

namespace fs = std::filesystem;
const std::string kSmoke = ATTNBENCH_SOURCE_DIR "/bench_specs/smoke.json";

using attn::test::CommandResult;

CommandResult run(const std::string& command) { return attn::test::run_shell(command); }

class CliShard : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attnbench-cli-shard-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CliShard, FourShardsHoldExactlyTheUnshardedCaseSet) {
  const std::string bin = ATTNBENCH_BINARY;
  std::multiset<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    const std::string out = (dir_ / ("s" + std::to_string(i) + ".json")).string();
    // The last shard learns its place from the environment a Slurm array task has.
    const std::string cmd = i < 3 ? fmt::format("{} run {} -q --threads 1 --shard {}/4 -o {}", bin, kSmoke, i, out)
                                  : fmt::format("env SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=4 {} run {} -q "
                                                "--threads 1 -o {}",
                                                bin, kSmoke, out);
    const auto r = run(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(fmt::format("shard {}/4", i)), std::string::npos) << r.output;
    const Report report = read_report(out);
    EXPECT_FALSE(report.interrupted);
    EXPECT_EQ(report.results.size(), read_jsonl(dir_ / ("s" + std::to_string(i) + ".jsonl")).size());
    for (const auto& c : read_jsonl((dir_ / ("s" + std::to_string(i) + ".jsonl")).string())) ids.insert(c.case_id);
  }
  const Spec spec = load_spec_file(kSmoke);
  std::multiset<std::string> expected;
  for (const auto& c : spec.cases) expected.insert(c.id);
  EXPECT_EQ(ids, expected);  // nothing missing, nothing twice
}

TEST_F(CliShard, BadShardsAreUsageErrors) {
  const std::string bin = ATTNBENCH_BINARY;
  for (const char* bad : {"4/4", "x", "1/0"}) {
    const auto r = run(fmt::format("{} run {} -q --shard {} -o {}", bin, kSmoke, bad, (dir_ / "r.json").string()));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--shard"), std::string::npos) << r.output;
  }
  const auto env = run(fmt::format("env SLURM_ARRAY_TASK_ID=9 SLURM_ARRAY_TASK_COUNT=4 {} run {} -q -o {}", bin, kSmoke,
                                   (dir_ / "r.json").string()));
  EXPECT_EQ(env.exit_code, 2) << env.output;
  EXPECT_NE(env.output.find("SLURM_ARRAY_TASK_ID"), std::string::npos) << env.output;
  EXPECT_FALSE(fs::exists(dir_ / "r.jsonl"));
}

TEST_F(CliShard, ValidateShowsTheShardAndTheMemoryDecisions) {
  const std::string bin = ATTNBENCH_BINARY;
  const auto shard = run(fmt::format("{} validate {} --shard 1/4", bin, kSmoke));
  ASSERT_EQ(shard.exit_code, 0) << shard.output;
  EXPECT_NE(shard.output.find("shard 1/4: 14 of 56 cases"), std::string::npos) << shard.output;

  std::ofstream(dir_ / "big.json") << R"({"name": "big", "inputs": {"seq_len": 2048, "head_dim": 32},
      "methods": [{"name": "exact"}, {"name": "mean-v"}], "repetitions": 1, "warmup": 0})";
  const auto v = run(fmt::format("{} validate {} --memory-budget 0.01", bin, (dir_ / "big.json").string()));
  ASSERT_EQ(v.exit_code, 0) << v.output;
  // The decision for the exact case is printed with its estimate, before anything runs.
  EXPECT_NE(v.output.find("exact/gaussian/N=2048"), std::string::npos) << v.output;
  EXPECT_NE(v.output.find("skipped (memory): estimated peak"), std::string::npos) << v.output;
  EXPECT_NE(v.output.find("1 run, 0 skipped by budget mapping, 0 unsupported, 1 over the memory budget"),
            std::string::npos)
      << v.output;
}

TEST_F(CliShard, ASpecNameCannotWriteOutsideResults) {
  std::ofstream(dir_ / "evil.json") << R"({"name": "../../../escape/x", "inputs": {"seq_len": 16, "head_dim": 8},
      "methods": [{"name": "exact"}], "repetitions": 1, "warmup": 0})";
  const fs::path cwd = dir_ / "work" / "deeper";
  fs::create_directories(cwd);
  const auto r = run(fmt::format("cd {} && {} run {} -q", cwd.string(), ATTNBENCH_BINARY, (dir_ / "evil.json").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_)) {
    if (!e.is_regular_file() || e.path().filename() == "evil.json") continue;
    ++files;
    EXPECT_EQ(e.path().parent_path(), cwd / "results") << e.path();
  }
  EXPECT_EQ(files, 2u);  // the report and its JSONL
}

}  // namespace
}  // namespace attn
