// attnbench_gbench: Google Benchmark microbenchmarks of the ops and the registered methods. Usual
// flags apply (--benchmark_filter, --benchmark_repetitions, --benchmark_format=json,
// --benchmark_out=FILE), so Google Benchmark's compare.py reads its output.
// Sets the same thread and OpenMP wait policy as attnbench (see core/threads.hpp) before anything runs.
#include <benchmark/benchmark.h>

#include "core/threads.hpp"

namespace attn::bench {
void register_method_benchmarks();
}

int main(int argc, char** argv) {
  attn::ensure_passive_openmp(argv);
  attn::set_threads(0);
  attn::bench::register_method_benchmarks();  // after static initialisation: every method is registered
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("attnbench_threads", std::to_string(attn::configured_threads()));
  benchmark::AddCustomContext("omp_wait_policy", attn::omp_wait_policy());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
