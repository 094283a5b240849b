// Microbenchmarks of the ops that attention is built from: GEMM, row softmax, tiled flash attention.
// Names: ops/<op>/<shape>. The square sgemm at 4096^3 is the machine's GEMM roofline.
#include <cmath>

#include "bench_support.hpp"
#include "ops/flash_attention.hpp"
#include "ops/gemm.hpp"
#include "ops/softmax.hpp"

namespace attn::bench {
namespace {

void sgemm_square(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto a = normal_vector(n * n, "a"), b = normal_vector(n * n, "b");
  std::vector<float> c(static_cast<size_t>(n * n));
  CpuContext cpu;
  const auto shape = ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, n, n);
  for (auto _ : state) {
    ops::gemm<float>(cpu.ctx, shape, 1.0f, a.data(), b.data(), 0.0f, c.data());
    benchmark::DoNotOptimize(c.data());
  }
  set_counters(state, 2.0 * double(n) * double(n) * double(n));
}
BENCHMARK(sgemm_square)->Name("ops/sgemm")->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

void softmax_rows_square(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x0 = normal_vector(n * n, "scores");
  auto x = x0;
  CpuContext cpu;
  const ops::SoftmaxShape shape{.rows = n, .cols = n, .ld = n, .stride = n * n};
  for (auto _ : state) {
    // In place on data that stays finite: softmax outputs are valid inputs for the next call.
    ops::softmax_rows<float>(cpu.ctx, shape, 1.0f, x.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * n * n * int64_t(sizeof(float)) * 2);
}
BENCHMARK(softmax_rows_square)->Name("ops/softmax_rows")->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

void flash(benchmark::State& state) {
  const int64_t n = state.range(0), d = state.range(1), heads = state.range(2);
  const auto q = normal_vector(heads * n * d, "q"), k = normal_vector(heads * n * d, "k"), v = normal_vector(heads * n * d, "v");
  std::vector<float> out(q.size());
  CpuContext cpu;
  ops::FlashShape s{.batch = heads, .seq_len = n, .head_dim = d, .tiles = ops::default_flash_tiles(d)};
  const float scale = 1.0f / std::sqrt(float(d));
  for (auto _ : state) {
    ops::flash_attention<float>(cpu.ctx, s, scale, q.data(), k.data(), v.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, attention_flops(heads, n, d), &cpu.ws);
}
BENCHMARK(flash)->Name("ops/flash_attention")->ArgNames({"N", "d", "heads"})
    ->Args({1024, 64, 1})->Args({4096, 64, 1})->Args({4096, 64, 4})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace attn::bench
