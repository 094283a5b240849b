// Sharding: "I/N" parsing and the Slurm environment, the greedy split's balance bound, and that
// the shards of shipped specs partition the case set (disjoint, complete, order kept, groups whole).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

#include "core/error.hpp"
#include "runner/cost_estimate.hpp"
#include "runner/shard.hpp"
#include "runner/sweep.hpp"

namespace attn {
namespace {

TEST(Shard, ParsesIOverN) {
  const Shard s = parse_shard("2/5", "--shard");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(s.label(), "2/5");
  for (const char* bad : {"", "3", "5/5", "-1/4", "1/0", "a/b", "1/4x", "1//4", "99999999999/4"})
    EXPECT_THROW(parse_shard(bad, "--shard"), UsageError) << bad;
}

struct SlurmEnv {
  SlurmEnv(const char* id, const char* count, const char* min) {
    set("SLURM_ARRAY_TASK_ID", id);
    set("SLURM_ARRAY_TASK_COUNT", count);
    set("SLURM_ARRAY_TASK_MIN", min);
  }
  ~SlurmEnv() {
    for (const char* k : {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN"}) ::unsetenv(k);
  }
  static void set(const char* k, const char* v) {
    if (v) ::setenv(k, v, 1);
    else ::unsetenv(k);
  }
};

TEST(Shard, ReadsTheSlurmArrayEnvironment) {
  {
    SlurmEnv env(nullptr, nullptr, nullptr);
    EXPECT_FALSE(shard_from_environment().has_value());
  }
  {
    SlurmEnv env("3", "4", "0");
    const auto s = shard_from_environment();
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->label(), "3/4");
  }
  {
    SlurmEnv env("4", "4", "1");  // --array=1-4
    EXPECT_EQ(shard_from_environment()->label(), "3/4");
  }
  {
    SlurmEnv env("7", "4", "0");  // --array=4-7 without a usable min is a mistake, said so
    EXPECT_THROW(shard_from_environment(), UsageError);
  }
  {
    SlurmEnv env("x", "4", nullptr);
    EXPECT_THROW(shard_from_environment(), UsageError);
  }
}

TEST(Shard, GreedySplitIsBalancedAndDeterministic) {
  std::vector<double> costs;
  for (int i = 0; i < 37; ++i) costs.push_back(1.0 + (i * 7919 % 101));
  for (int n : {1, 2, 3, 4, 8}) {
    const auto owner = assign_shards(costs, n);
    EXPECT_EQ(owner, assign_shards(costs, n));
    std::vector<double> load(n, 0.0);
    for (size_t i = 0; i < costs.size(); ++i) load[owner[i]] += costs[i];
    double total = 0, largest = 0;
    for (double c : costs) total += c, largest = std::max(largest, c);
    for (double l : load) EXPECT_LE(l, total / n + largest) << n;
  }
}

// Every case of the spec is in exactly one shard, shards keep expansion order, and (when there
// are enough groups) an input group is never split.
void expect_partition(const std::string& path, int count) {
  const Spec spec = load_spec_file(path);
  const auto all = select_cases(spec, RunOptions{});
  std::map<std::string, int> owner;
  std::map<std::string, std::set<int>> group_shards;
  for (int i = 0; i < count; ++i) {
    const auto part = shard_cases(all, {i, count});
    int64_t last = -1;
    for (const Case* c : part) {
      EXPECT_TRUE(owner.emplace(c->id, i).second) << c->id << " in two shards";
      EXPECT_GT(c->index, last) << "order";
      last = c->index;
      group_shards[c->input.group_key()].insert(i);
    }
  }
  EXPECT_EQ(owner.size(), all.size()) << path << " / " << count;
  if (group_shards.size() >= static_cast<size_t>(count))
    for (const auto& [g, shards] : group_shards) EXPECT_EQ(shards.size(), 1u) << g;
}

TEST(Shard, ShardsPartitionTheShippedSpecs) {
  for (const char* spec : {"/bench_specs/smoke.json", "/bench_specs/default.json", "/bench_specs/cpu-scaling.json"})
    for (int n : {1, 2, 3, 4, 7, 64}) expect_partition(std::string(ATTNBENCH_SOURCE_DIR) + spec, n);
}

TEST(Shard, FourShardsOfSmokeCarryComparableWork) {
  const Spec spec = load_spec_file(ATTNBENCH_SOURCE_DIR "/bench_specs/smoke.json");
  const auto all = select_cases(spec, RunOptions{});
  std::vector<size_t> sizes;
  for (int i = 0; i < 4; ++i) sizes.push_back(shard_cases(all, {i, 4}).size());
  for (size_t s : sizes) EXPECT_EQ(s, 14u);  // 8 groups of 7 cases: two groups each
}

TEST(Shard, CostEstimatesIgnoreCasesThatWillNotRun) {
  const Spec spec = load_spec_file(ATTNBENCH_SOURCE_DIR "/bench_specs/smoke.json");
  double runnable = 0, unsupported = 0;
  for (const auto& c : spec.cases) {
    const double s = estimate_case_seconds(c, 10, 1);
    EXPECT_GT(s, 0) << c.id;
    (c.method == "nystrom" && c.input.causal ? unsupported : runnable) = std::max(
        c.method == "nystrom" && c.input.causal ? unsupported : runnable, s);
  }
  EXPECT_LT(unsupported, 0.01 * runnable);
}

}  // namespace
}  // namespace attn
