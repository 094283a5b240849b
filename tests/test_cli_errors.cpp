// Bad input through the real binary: one clear line naming the field and the reason, exit code 2,
// nothing half-written.
#include <gtest/gtest.h>

#include "support/shell.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using attn::test::CommandResult;

CommandResult run(const std::string& args) { return attn::test::run_attnbench(args); }

class CliErrors : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("attnbench-cli-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  void expect_usage_error(const std::string& args, const std::string& fragment) {
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(fragment), std::string::npos) << "expected '" << fragment << "' in: " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line expected: " << r.output;
  }
  std::filesystem::path dir_;
};

TEST_F(CliErrors, UnknownMethodNamesItsJsonPath) {
  const auto spec = write("s.json", R"({"name": "x", "inputs": {"seq_len": 64}, "methods": [{"name": "nope"}]})");
  expect_usage_error("validate " + spec, "methods[0].name");
}

TEST_F(CliErrors, UnknownParameterNamesItsJsonPath) {
  const auto spec = write(
      "s.json", R"({"name": "x", "inputs": {"seq_len": 64}, "methods": [{"name": "performer", "params": {"bogus": 1}}]})");
  expect_usage_error("run " + spec + " -o " + (dir_ / "r.json").string(), "methods[0].params");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "r.json"));
}

TEST_F(CliErrors, NegativeSequenceLength) {
  const auto spec = write("s.json", R"({"name": "x", "inputs": {"seq_len": -5}, "methods": [{"name": "exact"}]})");
  expect_usage_error("validate " + spec, "inputs.seq_len");
}

TEST_F(CliErrors, MalformedJsonGivesLineAndColumn) {
  const auto spec = write("s.json", "{\"name\": \"x\",\n \"inputs\": {\"seq_len\": 64,}}");
  expect_usage_error("validate " + spec, "line 2");
}

TEST_F(CliErrors, MissingSpecFile) { expect_usage_error("validate " + (dir_ / "none.json").string(), "none.json"); }

TEST_F(CliErrors, UnwritableOutputPathLeavesNothingBehind) {
  write("file", "x");
  expect_usage_error("run " + std::string(ATTNBENCH_SOURCE_DIR) + "/bench_specs/smoke.json -q -o " +
                         (dir_ / "file" / "r.json").string(),
                     "r.json");
}

TEST_F(CliErrors, ApplyRejectsCorruptNpy) {
  const auto bad = write("q.npy", std::string("\x93NUMPY\x01\x00", 8) + "garbage");
  expect_usage_error("apply --method exact --q " + bad + " --k " + bad + " --v " + bad + " -o " +
                         (dir_ / "o.npy").string(),
                     "q.npy");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "o.npy"));
}

TEST_F(CliErrors, ApplyRejectsUnknownSetKey) {
  const auto r = run("apply --method performer --set nonsense=3 --q a --k a --v a -o " + (dir_ / "o.npy").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

// A valid little-endian float32 .npy of shape [n, d] with values i * 0.01 - 1.
std::string npy_bytes(int n, int d) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(n) + ", " +
                       std::to_string(d) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  for (int i = 0; i < n * d; ++i) {
    const float x = static_cast<float>(i % 97) * 0.01f - 0.5f;
    out.append(reinterpret_cast<const char*>(&x), 4);
  }
  return out;
}

TEST_F(CliErrors, ApplyRunsOnValidNpyAndComparesWithExact) {
  const auto q = write("q.npy", npy_bytes(40, 8));
  const auto out = (dir_ / "o.npy").string();
  const auto r = run("apply --method flash --q " + q + " --k " + q + " --v " + q + " -o " + out + " --compare --causal");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out));
  EXPECT_EQ(std::filesystem::file_size(out), std::filesystem::file_size(q));
  EXPECT_NE(r.output.find("rel_fro"), std::string::npos) << r.output;
  const auto nys = run("apply --method nystrom --causal --q " + q + " --k " + q + " --v " + q + " -o " + out);
  EXPECT_EQ(nys.exit_code, 2) << nys.output;
}

TEST_F(CliErrors, ListJsonIsValidAndHasEveryMethod) {
  const auto r = run("list --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"performer\""), std::string::npos);
  EXPECT_NE(r.output.find("\"nystrom\""), std::string::npos);
}

}  // namespace
