// One benchmark per registered method and shape, generated from the method registry (nothing here
// names a method): methods/<name>/N=<N>/d=64/H=4, default parameters. A method that cannot run a
// shape (say rank > N) reports the reason through SkipWithError, as a failed case becomes data.
// Registration happens in main() (bench_main.cpp), after every method has registered itself.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "bench_support.hpp"
#include "core/error.hpp"
#include "methods/registry.hpp"

namespace attn::bench {

namespace {

constexpr int64_t kHeads = 4, kHeadDim = 64;
constexpr int64_t kSeqLens[] = {1024, 4096};

void run_method(benchmark::State& state, const MethodInfo* info, int64_t n) {
  const CaseShape shape{.batch = 1, .heads = kHeads, .seq_len = n, .head_dim = kHeadDim};
  try {
    Realized realized;
    const ParamSet params = resolve_params(*info, {}, shape, {}, realized);
    auto method = info->create({.shape = shape, .params = params, .seed = 0, .rng_key = "gbench/" + info->name});
    const int64_t numel = shape.tensor_shape().numel();
    const auto q = normal_vector(numel, "q"), k = normal_vector(numel, "k"), v = normal_vector(numel, "v");
    std::vector<float> out(q.size());
    CpuContext cpu;
    const auto view = [&](const std::vector<float>& x) {
      return Tensor{.data = const_cast<float*>(x.data()), .shape = shape.tensor_shape()};
    };
    Tensor o{.data = out.data(), .shape = shape.tensor_shape()};
    method->prepare(cpu.ctx);
    for (auto _ : state) {
      method->forward(cpu.ctx, view(q), view(k), view(v), o);
      benchmark::DoNotOptimize(out.data());
    }
    set_counters(state, attention_flops(kHeads, n, kHeadDim), &cpu.ws);
    if (info->flops) state.counters["algorithmic_FLOPS"] =
        benchmark::Counter(info->flops(shape, params), benchmark::Counter::kIsIterationInvariantRate);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace

void register_method_benchmarks() {
  for (const MethodInfo& info : MethodRegistry::instance().all()) {
    if (std::find(info.devices.begin(), info.devices.end(), Device::cpu) == info.devices.end()) continue;
    for (int64_t n : kSeqLens) {
      const std::string name = fmt::format("methods/{}/N={}/d={}/H={}", info.name, n, kHeadDim, kHeads);
      benchmark::RegisterBenchmark(name.c_str(), run_method, &info, n)->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  }
}

}  // namespace attn::bench
