// Shared pieces of the Google Benchmark microbenchmarks: host inputs drawn from the project's Rng,
// and a CPU context whose workspace lives as long as the benchmark (allocated in the first
// iteration, reused after, as the runner does), so the timings measure arithmetic.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/context.hpp"
#include "core/rng.hpp"
#include "core/threads.hpp"
#include "core/workspace.hpp"

namespace attn::bench {

inline std::vector<float> normal_vector(int64_t n, const char* purpose, double scale = 1.0) {
  std::vector<float> x(static_cast<size_t>(n));
  Rng(0, "gbench", purpose).fill_normal(x.data(), n);
  if (scale != 1.0)
    for (auto& v : x) v = static_cast<float>(v * scale);
  return x;
}

struct CpuContext {
  Workspace ws{Device::cpu};
  Context ctx{.device = Device::cpu, .workspace = &ws, .threads = configured_threads()};
};

// Dense-equivalent attention FLOPs (4 B H N^2 d), as reports count them.
inline double attention_flops(int64_t heads, int64_t n, int64_t d) { return 4.0 * double(heads) * double(n) * double(n) * double(d); }

// FLOP rate and peak workspace as user counters (they appear in the JSON beside the times).
inline void set_counters(benchmark::State& state, double flops_per_iteration, const Workspace* ws = nullptr) {
  state.counters["FLOPS"] = benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
  if (ws) state.counters["peak_workspace_bytes"] = static_cast<double>(ws->peak_bytes());
}

}  // namespace attn::bench
