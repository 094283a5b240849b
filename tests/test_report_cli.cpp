// report, compare and merge through the attnbench binary on a real smoke sweep: exit codes, bad
// input, shard joins; the gbench JSON read by Google Benchmark's own compare.py; tools/plot.py.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/gbench_json.hpp"
#include "report/report_io.hpp"

namespace attn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Shell {
  int code = -1;
  std::string out;
};

Shell sh(const std::string& cmd) {
  Shell r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string bin() { return ATTNBENCH_BINARY; }

json load(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}
void save(const fs::path& p, const json& j) { std::ofstream(p) << j.dump(1); }

class ReportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("attnbench-report-cli-{}", ::getpid());
    fs::create_directories(dir_);
    const Shell r = sh(fmt::format("{} run {}/bench_specs/smoke.json -q -o {}", bin(), ATTNBENCH_SOURCE_DIR, (dir_ / "base.json").string()));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static fs::path path(const std::string& name) { return dir_ / name; }
  static inline fs::path dir_;
};

TEST_F(ReportCli, ReportFormatsAndViews) {
  const std::string base = path("base.json");
  for (const char* f : {"md", "csv", "latex", "json"}) {
    const Shell r = sh(fmt::format("{} report {} --format {} --value rel_fro", bin(), base, f));
    EXPECT_EQ(r.code, 0) << f << ": " << r.out;
  }
  EXPECT_NO_THROW(json::parse(sh(fmt::format("{} report {} --format json --view summary", bin(), base)).out));
  for (const char* v : {"summary", "pareto", "crossover"}) EXPECT_EQ(sh(fmt::format("{} report {} --view {}", bin(), base, v)).code, 0);
  // The JSONL beside the report reads the same way.
  EXPECT_EQ(sh(fmt::format("{} report {}l", bin(), base)).code, 0);
  const Shell filtered = sh(fmt::format("{} report {} --filter 'method=flash,causal=full' --rows method --cols N", bin(), base));
  EXPECT_NE(filtered.out.find("flash"), std::string::npos);
  EXPECT_EQ(filtered.out.find("performer"), std::string::npos);
}

TEST_F(ReportCli, ReportBadInputIsOneLineAndExit2) {
  std::ifstream in(path("base.json"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(path("truncated.json")) << text.substr(0, text.size() / 2);
  json other = load(path("base.json"));
  other["schema"] = "attnbench.report/2";
  save(path("schema2.json"), other);
  for (const auto& [args, needle] : std::vector<std::pair<std::string, std::string>>{
           {path("truncated.json").string(), "not valid JSON"},
           {path("schema2.json").string(), "attnbench.report/2' is not supported"},
           {path("nothing.json").string(), "cannot open"},
           {path("base.json").string() + " --format xml", "--format"},
           {path("base.json").string() + " --value speed", "unknown metric"},
           {path("base.json").string() + " --filter 'method=none'", "no results"}}) {
    const Shell r = sh(fmt::format("{} report {}", bin(), args));
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << r.out;
    EXPECT_LE(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
}

TEST_F(ReportCli, CompareExitCodes) {
  const std::string base = path("base.json");
  const auto compare = [&](const std::string& b, const std::string& n, const std::string& flags = "") {
    return sh(fmt::format("{} compare {} {} {}", bin(), b, n, flags));
  };
  EXPECT_EQ(compare(base, base).code, 0);

  json j = load(base);
  auto& results = j["results"];
  size_t ok = 0;
  while (results[ok]["status"] != "ok") ++ok;
  json status = j;
  status["results"][ok]["status"] = "oom";
  status["results"][ok]["reason"] = "injected";
  save(path("status.json"), status);
  const Shell s = compare(base, path("status.json"));
  EXPECT_EQ(s.code, 1) << s.out;
  EXPECT_NE(s.out.find("status ok -> oom"), std::string::npos) << s.out;

  json error = j;
  error["results"][ok]["error"]["rel_fro"] = results[ok]["error"]["rel_fro"].get<double>() * 2 + 1e-3;
  save(path("error.json"), error);
  EXPECT_EQ(compare(base, path("error.json"), "--no-time").code, 1);

  json machine = j;
  machine["context"]["cpu"]["model"] = "Another CPU";
  save(path("machine.json"), machine);
  const Shell m = compare(base, path("machine.json"));
  EXPECT_EQ(m.code, 3) << m.out;
  EXPECT_NE(m.out.find("different machines"), std::string::npos);
  EXPECT_EQ(compare(base, path("machine.json"), "--lenient").code, 0);

  EXPECT_EQ(compare(path("missing.json"), base).code, 3);
  std::ofstream(path("torn.json")) << "{\"schema\": \"attnbench.report/1\", \"results\": [";
  EXPECT_EQ(compare(base, path("torn.json")).code, 2);
  EXPECT_EQ(compare(path("torn.json"), base).code, 3);
  json none = j;
  for (auto& r : none["results"]) r["case_id"] = "other/" + r["case_id"].get<std::string>();
  save(path("none.json"), none);
  EXPECT_EQ(compare(base, path("none.json")).code, 3);

  const Shell js = sh(fmt::format("{} compare {} {} --json {}", bin(), base, path("status.json").string(),
                                  path("verdicts.json").string()));
  EXPECT_EQ(js.code, 1);
  const json verdicts = load(path("verdicts.json"));
  EXPECT_FALSE(verdicts["pass"].get<bool>());
  EXPECT_EQ(verdicts["summary"]["regressed"], 1);
}

TEST_F(ReportCli, MergeJoinsShardsAndRefusesMismatches) {
  json j = load(path("base.json"));
  json a = j, b = j;
  a["results"] = json::array();
  b["results"] = json::array();
  for (size_t i = 0; i < j["results"].size(); ++i) (i % 2 ? b : a)["results"].push_back(j["results"][i]);
  save(path("shard0.json"), a);
  save(path("shard1.json"), b);
  // The shard-1 log, resumed after a crash: its records plus a torn last line.
  {
    std::ofstream log(path("shard1.jsonl"));
    for (const auto& r : b["results"]) log << r.dump() << "\n";
    log << "{\"case_id\": \"torn";
  }
  const Shell r = sh(fmt::format("{} merge {} {} {} -o {}", bin(), path("shard0.json").string(), path("shard1.json").string(),
                               path("shard1.jsonl").string(), path("merged.json").string()));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ignoring torn last line"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("duplicate"), std::string::npos) << r.out;
  const Report merged = read_report(path("merged.json"));
  EXPECT_EQ(merged.results.size(), j["results"].size());
  EXPECT_EQ(merged.spec_sha256, j["spec"]["sha256"]);
  EXPECT_EQ(sh(fmt::format("{} compare {} {}", bin(), path("base.json").string(), path("merged.json").string())).code, 0);

  json other_spec = b;
  other_spec["spec"]["sha256"] = "0000";
  save(path("other_spec.json"), other_spec);
  const Shell s = sh(fmt::format("{} merge {} {} -o {}", bin(), path("shard0.json").string(), path("other_spec.json").string(),
                               path("bad.json").string()));
  EXPECT_EQ(s.code, 2);
  EXPECT_NE(s.out.find("spec sha256"), std::string::npos) << s.out;
  json other_tool = b;
  other_tool["tool"]["version"] = "9.9.9";
  save(path("other_tool.json"), other_tool);
  EXPECT_EQ(sh(fmt::format("{} merge {} {} -o {}", bin(), path("shard0.json").string(), path("other_tool.json").string(),
                           path("bad.json").string())).code, 2);
  EXPECT_FALSE(fs::exists(path("bad.json")));
}

// Google Benchmark's compare.py (Debian's libbenchmark-tools, needs SciPy) reads gbench_json's output.
TEST_F(ReportCli, GbenchJsonWorksWithGoogleBenchmarksComparePy) {
  const std::string compare_py = "/usr/share/benchmark/compare.py";
  if (!fs::exists(compare_py)) GTEST_SKIP() << "compare.py not installed (Debian: libbenchmark-tools)";
  if (sh("/usr/bin/python3 -c 'import scipy'").code != 0) GTEST_SKIP() << "compare.py needs SciPy (python3-scipy)";
  Report r = read_report(path("base.json"));
  std::ofstream(path("gb_base.json")) << gbench_json(r);
  for (auto& c : r.results)
    for (auto& s : c.time_ms.samples) s *= 1.5;
  std::ofstream(path("gb_new.json")) << gbench_json(r);
  const Shell run = sh(fmt::format("/usr/bin/python3 {} benchmarks {} {}", compare_py, path("gb_base.json").string(),
                                 path("gb_new.json").string()));
  ASSERT_EQ(run.code, 0) << run.out;
  EXPECT_NE(run.out.find("exact/gaussian/N=64"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("+0.5000"), std::string::npos) << run.out;  // the 1.5x appears as +50%
}

// The interpreter that has matplotlib: `python3` may be a pyenv shim without Debian's packages.
std::string python_with_matplotlib() {
  for (const char* py : {"python3", "/usr/bin/python3"})
    if (sh(fmt::format("{} -c 'import matplotlib'", py)).code == 0) return py;
  return "";
}

TEST_F(ReportCli, PlotScriptWritesFigures) {
  const std::string py = python_with_matplotlib();
  if (py.empty()) GTEST_SKIP() << "matplotlib is missing (Debian: python3-matplotlib); tools/plot.py not tested";
  // One input family keeps the figure count (and matplotlib's time) small: 2 Pareto, time, memory.
  json j = load(path("base.json")), subset = json::array();
  for (const auto& r : j["results"])
    if (r["input"]["distribution"] == "gaussian" && !r["input"]["causal"].get<bool>()) subset.push_back(r);
  j["results"] = subset;
  save(path("plot_input.json"), j);
  const fs::path out = path("figures");
  const Shell r = sh(fmt::format("{} {}/tools/plot.py --all --format png {} -o {}", py, ATTNBENCH_SOURCE_DIR,
                                 path("plot_input.json").string(), out.string()));
  ASSERT_EQ(r.code, 0) << r.out;
  int pngs = 0;
  bool pareto = false, time = false;
  for (const auto& e : fs::directory_iterator(out)) {
    if (e.path().extension() != ".png") continue;
    ++pngs;
    EXPECT_GT(fs::file_size(e.path()), 1000u) << e.path();
    std::ifstream in(e.path(), std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << e.path();
    pareto = pareto || e.path().filename().string().rfind("pareto-", 0) == 0;
    time = time || e.path().filename().string().rfind("time-", 0) == 0;
  }
  EXPECT_TRUE(pareto && time) << r.out;
  EXPECT_GE(pngs, 4);
  std::ifstream index(out / "index.md");
  std::stringstream s;
  s << index.rdbuf();
  EXPECT_NE(s.str().find("| config |"), std::string::npos);
  EXPECT_NE(s.str().find("![pareto-"), std::string::npos);
  // Bad input: a clear message and exit 2.
  EXPECT_EQ(sh(fmt::format("{} {}/tools/plot.py {} -o {}", py, ATTNBENCH_SOURCE_DIR, path("missing.json").string(), out.string())).code, 2);
}

}  // namespace
}  // namespace attn
