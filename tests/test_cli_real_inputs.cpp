// Distribution "real" through the binary: bench_specs/real-encoder.json validates with the methods
// that exist, a run records the source, layer and heads of every case, and bad data (a source that
// is not shipped, a corrupt file) is one line naming the file with exit code 2.
#include <gtest/gtest.h>

#include "support/shell.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "methods/registry.hpp"
#include "support/real_data.hpp"

namespace {

using attn::test::DataDirEnv;
using attn::test::ScratchData;

using attn::test::CommandResult;

CommandResult run(const std::string& args) { return attn::test::run_attnbench(args); }

std::filesystem::path scratch(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("attnbench-cli-real-" + std::to_string(::getpid()) + "-" + name);
}

std::string write_spec(const std::string& name, const std::string& inputs, const std::string& methods) {
  const auto p = scratch(name);
  std::ofstream(p) << R"({"name": "t", "inputs": )" << inputs << R"(, "methods": )" << methods
                   << R"(, "repetitions": 1, "warmup": 0})";
  return p.string();
}

void expect_one_line_usage_error(const CommandResult& r, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(fragment), std::string::npos) << "expected '" << fragment << "' in: " << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line expected: " << r.output;
}

TEST(CliReal, ShippedSpecValidates) {
  DataDirEnv env(attn::test::shipped_data_dir());
  const auto r = run("validate " + std::string(ATTNBENCH_SOURCE_DIR) + "/bench_specs/real-encoder.json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cases"), std::string::npos) << r.output;
}

// The README presents these two specs as "every CPU method": a method added to the registry but
// not to them would silently drop out of the real-vs-synthetic comparison.
TEST(CliReal, ShippedSpecsCoverEveryRegisteredMethod) {
  const auto registered = attn::MethodRegistry::instance().names();
  for (const char* name : {"real-encoder.json", "real-encoder-synthetic.json"}) {
    std::ifstream in(std::string(ATTNBENCH_SOURCE_DIR) + "/bench_specs/" + name);
    const auto spec = nlohmann::json::parse(in);
    std::set<std::string> listed;
    for (const auto& m : spec["methods"]) listed.insert(m["name"].get<std::string>());
    for (const auto& method : registered) EXPECT_TRUE(listed.count(method)) << name << " lacks " << method;
  }
}

TEST(CliReal, RunRecordsSourceLayerAndHeads) {
  DataDirEnv env(attn::test::shipped_data_dir());
  const std::string spec = write_spec("run.json", R"({"distribution": "real", "source": "minilm-l6", "layers": [1, 4],
                                                    "heads": [[8, 9]], "seq_len": 64})",
                                      R"([{"name": "exact"}])");
  const auto out = scratch("run-report.json");
  const auto r = run("run " + spec + " -q -o " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(out);
  const auto report = nlohmann::json::parse(in);
  ASSERT_EQ(report["results"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto& res = report["results"][i];
    EXPECT_EQ(res["status"], "ok") << res.dump();
    EXPECT_EQ(res["input"]["distribution"], "real");
    EXPECT_EQ(res["input"]["source"], "minilm-l6");
    EXPECT_EQ(res["input"]["layer"], i == 0 ? 1 : 4);
    EXPECT_EQ(res["input"]["head_indices"], nlohmann::json::array({8, 9}));
    EXPECT_EQ(res["input"]["heads"], 2);
    EXPECT_EQ(res["input"]["head_dim"], 32);
    EXPECT_LT(res["error"]["rel_fro"].get<double>(), 1e-5);
  }
  std::filesystem::remove(spec);
  std::filesystem::remove(out);
  std::filesystem::remove(out.string() + "l");  // the JSONL beside it
}

TEST(CliReal, SourceNotShippedIsExitCode2) {
  DataDirEnv env(attn::test::shipped_data_dir());
  const std::string spec = write_spec("missing.json", R"({"distribution": "real", "source": "bert-base"})",
                                      R"([{"name": "exact"}])");
  expect_one_line_usage_error(run("validate " + spec), "bert-base/manifest.json");
  std::filesystem::remove(spec);
}

TEST(CliReal, CorruptFileIsExitCode2NamingIt) {
  ScratchData data;
  std::filesystem::resize_file(data.file("L0_v.npy"), 4096);
  const std::string spec = write_spec("corrupt.json", R"({"distribution": "real", "source": "minilm-l6", "layers": 0})",
                                      R"([{"name": "exact"}])");
  expect_one_line_usage_error(run("run " + spec + " -q -o " + scratch("corrupt-report.json").string()),
                              "L0_v.npy: SHA-256");
  std::filesystem::remove(spec);
}

}  // namespace
