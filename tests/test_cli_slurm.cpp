// The real cluster engine (label `slurm`): a single-node Slurm on loopback
// (tools/slurm/local_cluster.sh) runs bench_specs/smoke.json as a 4-task job array, a merge job
// that depends on it (afterok) joins the shards, and the merged report holds exactly the case set
// of a local run, with the same statuses. Skipped, with the reason, where Slurm is not installed or
// cannot run (not root); ATTNBENCH_SLURM_INSTALL=1 lets the script install it with apt-get.
#include <gtest/gtest.h>

#include "support/shell.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include <fmt/format.h>

#include "report/report_io.hpp"
#include "spec/spec.hpp"

namespace attn {
namespace {

namespace fs = std::filesystem;
const std::string kTools = ATTNBENCH_SOURCE_DIR "/tools/slurm";
const std::string kSmoke = ATTNBENCH_SOURCE_DIR "/bench_specs/smoke.json";

using attn::test::CommandResult;

CommandResult sh(const std::string& command) { return attn::test::run_shell(command); }

TEST(Slurm, JobArrayOfFourShardsMergesToTheLocalCaseSet) {
  const bool install = std::getenv("ATTNBENCH_SLURM_INSTALL") != nullptr;
  if (::getuid() != 0) GTEST_SKIP() << "Slurm test skipped: a local slurmd needs root";
  if (!install && sh("command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged").exit_code != 0)
    GTEST_SKIP() << "Slurm test skipped: Slurm is not installed (apt-get install slurmctld slurmd slurm-client "
                    "munge, or set ATTNBENCH_SLURM_INSTALL=1)";

  const fs::path dir = fs::temp_directory_path() / fmt::format("attnbench-slurm-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Ports apart from a cluster someone may already run on the default ones.
  const std::string env = fmt::format("SLURM_PORT={} SLURM_CONF={}/state/slurm.conf", 17000 + ::getpid() % 1000 * 2,
                                      dir.string());
  const auto start = sh(fmt::format("{} {}/local_cluster.sh start {}/state{}", env, kTools, dir.string(),
                                    install ? " --install" : ""));
  struct Stop {  // every daemon is stopped by its pid file, whatever happens in the test
    std::string command;
    void now() {
      if (!command.empty()) sh(command);
      command.clear();
    }
    ~Stop() { now(); }
  } stop{fmt::format("{}/local_cluster.sh stop {}/state", kTools, dir.string())};
  if (start.exit_code == 3) GTEST_SKIP() << "Slurm test skipped: " << start.output;
  ASSERT_EQ(start.exit_code, 0) << start.output;

  const auto t0 = std::chrono::steady_clock::now();
  const auto submit = sh(fmt::format("{} ATTNBENCH={} {}/submit.sh {} {}/out 4 --wait", env, ATTNBENCH_BINARY, kTools,
                                     kSmoke, dir.string()));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(submit.exit_code, 0) << submit.output << sh("cat " + (dir / "out").string() + "/slurm-*.out").output;
  std::printf("slurm: 4-task array + merge of smoke.json in %.1f s\n", seconds);

  const Report merged = read_report((dir / "out" / "smoke.json").string());
  EXPECT_FALSE(merged.interrupted);
  const auto local = sh(fmt::format("{} run {} -q --threads 1 -o {}/local.json", ATTNBENCH_BINARY, kSmoke, dir.string()));
  ASSERT_EQ(local.exit_code, 0) << local.output;
  const Report reference = read_report((dir / "local.json").string());
  std::map<std::string, std::string> a, b;
  for (const auto& r : merged.results) EXPECT_TRUE(a.emplace(r.case_id, r.status).second) << "twice: " << r.case_id;
  for (const auto& r : reference.results) b.emplace(r.case_id, r.status);
  EXPECT_EQ(a, b);  // the same cases with the same statuses
  EXPECT_EQ(merged.results.size(), load_spec_file(kSmoke).cases.size());
  std::printf("slurm: merged %zu cases\n", merged.results.size());
  stop.now();  // before removing dir: the daemons' pid files live there
  fs::remove_all(dir);
}

}  // namespace
}  // namespace attn
