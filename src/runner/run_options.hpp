// What `attnbench run` (and the tests) can change about how a spec is executed.
#pragma once

#include <optional>
#include <string>

namespace attn {

struct RunOptions {
  std::string output_json;          // final report path (its JSONL sits beside it, same stem)
  std::string filter_regex;         // only cases whose id matches (std::regex, ECMAScript)
  std::optional<std::string> device;  // "cpu" or "cuda": keep only cases on that device
  int threads = 0;                  // 0: all hardware threads
  std::optional<int> repetitions;   // overrides the spec
  std::optional<int> warmup;
  std::optional<double> memory_budget_gib;  // overrides the spec; 0 or unset: 80% of available memory
  std::string save_inputs_dir;      // when set, each input group's Q, K, V go there as .npy
  bool progress = true;             // a progress line with ETA on stderr (when it is a terminal)
};

// The JSONL path that goes with a report path: "x.json" -> "x.jsonl".
std::string jsonl_path_for(const std::string& json_path);

}  // namespace attn
