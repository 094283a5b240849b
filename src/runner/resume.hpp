// Results that must never be lost or measured twice. `--resume` keeps what an earlier run already
// wrote to the JSONL; a run without it never overwrites an earlier run's files but sets them aside.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "report/result.hpp"

namespace attn {

struct PriorResults {
  std::map<std::string, CaseResult> by_id;  // the last usable record of each case
  std::size_t other_spec = 0;         // records of another spec (hash differs or missing): ignored
  std::size_t other_settings = 0;     // `ok` records measured with other repetitions / warm-up: run again
  std::size_t retried = 0;            // failed records left to run again (retry_failed)
};

// Statuses that `--retry-failed` runs again: the ones a fix or a bigger machine may change.
bool is_retryable_status(const std::string& status);

// Reads `jsonl_path` (missing: nothing; a torn last line is skipped with a warning) and keeps every
// record of this spec with a terminal status. With retry_failed, crash/timeout/oom/error are dropped.
PriorResults load_prior_results(const std::string& jsonl_path, const std::string& spec_sha256, int repetitions,
                                int warmup, bool retry_failed);

// Renames an existing report and JSONL at these paths to "<path>.~K~" (the first free K, the same
// for both), so a new run starts fresh without destroying measured results. Returns the new names.
std::vector<std::string> set_aside_previous(const std::string& json_path, const std::string& jsonl_path);

}  // namespace attn
