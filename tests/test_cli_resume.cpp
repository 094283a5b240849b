// Nothing lost through the real binary: the runner is SIGKILLed mid-sweep at three points (a case
// hangs there, so the point is exact) and resumed; the resumed report equals an uninterrupted one
// case for case, with zero cases lost and zero measured twice. SIGTERM gives a valid partial
// report marked interrupted and exit code 143.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "report/report_io.hpp"

extern char** environ;

namespace attn {
namespace {

namespace fs = std::filesystem;
const std::string kSmoke = ATTNBENCH_SOURCE_DIR "/bench_specs/smoke.json";

fs::path temp_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("attnbench-cli-resume-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Starts the binary with extra environment entries; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
  std::vector<std::string> all = {ATTNBENCH_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = extra_env;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  EXPECT_EQ(::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()), 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

size_t complete_lines(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Waits until the JSONL holds `lines` complete lines (at most 60 s).
bool wait_for_lines(const std::string& path, size_t lines) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    if (complete_lines(path) >= lines) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

class CliResume : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = temp_dir("base");
    const pid_t pid = spawn({"run", kSmoke, "-q", "--threads", "1", "-o", (dir_ / "base.json").string()});
    ASSERT_EQ(wait_exit(pid), 0);
    baseline_ = new Report(read_report((dir_ / "base.json").string()));
    ASSERT_EQ(baseline_->results.size(), 56u);
  }
  static void TearDownTestSuite() {
    delete baseline_;
    fs::remove_all(dir_);
  }

  // The report at `json` equals the baseline case for case: same ids in the same order, same
  // statuses, same errors (inputs and methods are seeded).
  static void expect_same_as_baseline(const std::string& json) {
    const Report r = read_report(json);
    EXPECT_FALSE(r.interrupted);
    ASSERT_EQ(r.results.size(), baseline_->results.size());
    for (size_t i = 0; i < r.results.size(); ++i) {
      const auto &a = r.results[i], &b = baseline_->results[i];
      EXPECT_EQ(a.case_id, b.case_id);
      EXPECT_EQ(a.status, b.status) << a.case_id;
      if (a.error && b.error) EXPECT_NEAR(a.error->rel_fro, b.error->rel_fro, 1e-9 * (1 + b.error->rel_fro)) << a.case_id;
    }
  }

  static inline fs::path dir_;
  static inline Report* baseline_ = nullptr;
};

TEST_F(CliResume, SigkillAtThreePointsThenResumeLosesAndDuplicatesNothing) {
  for (size_t target : {1u, 27u, 54u}) {
    size_t point = target;  // a case that runs (an unsupported one never reaches the fault hook)
    while (baseline_->results[point].status != "ok") ++point;
    SCOPED_TRACE("killed while case " + std::to_string(point) + " runs");
    const auto dir = dir_ / ("kill" + std::to_string(point));
    const std::string json = (dir / "r.json").string(), jsonl = (dir / "r.jsonl").string();
    const std::string hung = baseline_->results[point].case_id;
    const pid_t pid = spawn({"run", kSmoke, "-q", "--threads", "1", "-o", json}, {"ATTNBENCH_FAULT=hang@" + hung});
    ASSERT_TRUE(wait_for_lines(jsonl, point));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // inside the hung case
    ::kill(pid, SIGKILL);
    EXPECT_EQ(wait_exit(pid), 128 + SIGKILL);
    EXPECT_EQ(complete_lines(jsonl), point);
    EXPECT_FALSE(fs::exists(json));  // no report: the process never got to write one

    const pid_t resumed = spawn({"run", kSmoke, "-q", "--threads", "1", "-o", json, "--resume"});
    ASSERT_EQ(wait_exit(resumed), 0);
    const auto lines = read_jsonl(jsonl);
    std::set<std::string> ids;
    for (const auto& r : lines) EXPECT_TRUE(ids.insert(r.case_id).second) << "measured twice: " << r.case_id;
    EXPECT_EQ(lines.size(), 56u);  // zero lost, zero duplicated
    expect_same_as_baseline(json);
  }
}

TEST_F(CliResume, SigtermWritesAValidPartialReportThenResumeCompletes) {
  const auto dir = dir_ / "term";
  const std::string json = (dir / "r.json").string(), jsonl = (dir / "r.jsonl").string();
  const pid_t pid = spawn({"run", kSmoke, "-q", "--threads", "1", "-o", json},
                          {"ATTNBENCH_FAULT=hang@" + baseline_->results[10].case_id});
  ASSERT_TRUE(wait_for_lines(jsonl, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid), 128 + SIGTERM);
  const Report partial = read_report(json);
  EXPECT_TRUE(partial.interrupted);
  ASSERT_EQ(partial.results.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(partial.results[i].case_id, baseline_->results[i].case_id);

  const pid_t resumed = spawn({"run", kSmoke, "-q", "--threads", "1", "-o", json, "--resume"});
  ASSERT_EQ(wait_exit(resumed), 0);
  EXPECT_EQ(read_jsonl(jsonl).size(), 56u);
  expect_same_as_baseline(json);
}

}  // namespace
}  // namespace attn
