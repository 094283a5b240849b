// A sweep's timings in Google Benchmark's JSON layout (`run --gbench-json FILE`), so tools built
// for it (compare.py, dashboards, bencher) read attnbench results unchanged.
//
// Each `ok` case becomes one benchmark named by its case id: one `iteration` entry per timed
// repetition (iterations 1, real_time in ms), then mean / median / stddev / cv aggregates, as
// Google Benchmark writes with --benchmark_repetitions. attnbench measures wall time only, so
// cpu_time repeats real_time (the context says so). Extra per-case facts travel as user counters
// (numeric fields of the benchmark entry): gflops_per_s, rel_fro, peak_workspace_bytes. Cases that
// are not `ok` are written with `error_occurred` and their status as `error_message`.
#pragma once

#include <string>

#include "report/result.hpp"

namespace attn {

std::string gbench_json(const Report& report);

}  // namespace attn
