// What `attnbench run` (and the tests) can change about how a spec is executed.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "runner/shard.hpp"

namespace attn {

struct RunOptions {
  std::string output_json;          // final report path (its JSONL sits beside it, same stem)
  std::string filter_regex;         // only cases whose id matches (std::regex, ECMAScript)
  std::optional<std::string> device;  // "cpu" or "cuda": keep only cases on that device
  int threads = 0;                  // 0: all hardware threads
  std::optional<int> repetitions;   // overrides the spec
  std::optional<int> warmup;
  std::optional<double> memory_budget_gib;  // overrides the spec; 0 or unset: 80% of available memory
  std::optional<double> timeout_s;  // per case; overrides the spec's timeout_s (enforced only when isolated)
  std::optional<int64_t> attn_metrics_max_n;  // overrides the spec's attn_metrics_max_n (0: off)
  bool cold_l2 = false;             // GPU cases: flush L2 before every timed sample
  std::string save_inputs_dir;      // when set, each input group's Q, K, V go there as .npy
  bool progress = true;             // progress on stderr: a live line on a terminal, periodic lines otherwise
  double progress_interval_s = 30;  // seconds between plain progress lines when stderr is not a terminal

  // Isolation: each input group runs in a worker process (`worker_binary worker`), so a crash, an
  // abort or a hang costs only the case it hit. The library default is in-process; the CLI turns
  // it on for specs with more than one case.
  bool isolate = false;
  std::string worker_binary;        // empty: this executable (/proc/self/exe)

  // Resume: keep the results already in the JSONL (same spec hash, terminal status) and run the rest.
  bool resume = false;
  bool retry_failed = false;        // with resume: run crash, timeout, oom and error cases again

  std::optional<Shard> shard;       // run only this shard's cases (see runner/shard.hpp)
};

// The JSONL path that goes with a report path: "x.json" -> "x.jsonl".
std::string jsonl_path_for(const std::string& json_path);

}  // namespace attn
