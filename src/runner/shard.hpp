// Sharding: a sweep split into N parts that run anywhere (a Slurm job array, several machines) and
// are joined by `attnbench merge`. The split must come out the same on every machine, so it
// depends only on the spec and the flags (case order and the machine-independent cost estimate),
// never on this machine's free memory or devices.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace attn {

struct Case;

struct Shard {
  int index = 0;  // 0-based, like SLURM_ARRAY_TASK_ID under --array=0-(N-1)
  int count = 1;
  std::string label() const;  // "I/N"
};

// "I/N" with 0 <= I < N; anything else is a UsageError naming `what` ("--shard").
Shard parse_shard(const std::string& text, const std::string& what);
// The shard of a Slurm array task: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (0 when unset) of
// SLURM_ARRAY_TASK_COUNT; nullopt when those are not set. Inconsistent values are a UsageError.
std::optional<Shard> shard_from_environment();

// Greedy longest-processing-time split of units with the given costs into `count` shards:
// returns each unit's shard. Deterministic (ties go to the lower index), and no shard's total
// exceeds the mean by more than the largest single unit.
std::vector<int> assign_shards(const std::vector<double>& costs, int count);

// The cases of one shard, in their original order. Whole input groups are kept together (so a
// reference is computed once per group) when there are at least as many groups as shards;
// otherwise cases are split one by one.
std::vector<const Case*> shard_cases(const std::vector<const Case*>& cases, const Shard& shard);

}  // namespace attn
