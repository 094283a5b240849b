// Pairs that answer "how far from the hardware is this?":
//  - pairs/exact_method vs pairs/sgemm_softmax_sgemm: the registered `exact` method against the
//    same arithmetic composed by hand from two sgemm calls and a row softmax (S = QK^T, softmax,
//    O = PV) at the same shape: the method's overhead over its own building blocks.
//  - ops/flash_attention (N=4096, d=64) vs ops/sgemm (4096^3, in bench_ops.cpp): attention FLOP
//    rate against the GEMM roofline; compare their FLOPS counters.
#include <cmath>

#include "bench_support.hpp"
#include "methods/registry.hpp"
#include "ops/gemm.hpp"
#include "ops/softmax.hpp"

namespace attn::bench {
namespace {

constexpr int64_t kHeadDim = 64;

void sgemm_softmax_sgemm(benchmark::State& state) {
  const int64_t n = state.range(0), d = kHeadDim;
  const auto q = normal_vector(n * d, "q"), k = normal_vector(n * d, "k"), v = normal_vector(n * d, "v");
  std::vector<float> s(static_cast<size_t>(n * n)), out(static_cast<size_t>(n * d));
  CpuContext cpu;
  const auto qk = ops::gemm_shape(ops::Trans::no, ops::Trans::yes, n, n, d);
  const auto pv = ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, d, n);
  const ops::SoftmaxShape sm{.rows = n, .cols = n, .ld = n, .stride = n * n};
  const float scale = 1.0f / std::sqrt(float(d));
  for (auto _ : state) {
    ops::gemm<float>(cpu.ctx, qk, 1.0f, q.data(), k.data(), 0.0f, s.data());
    ops::softmax_rows<float>(cpu.ctx, sm, scale, s.data());
    ops::gemm<float>(cpu.ctx, pv, 1.0f, s.data(), v.data(), 0.0f, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, attention_flops(1, n, d));
}
BENCHMARK(sgemm_softmax_sgemm)->Name("pairs/sgemm_softmax_sgemm")->ArgName("N")->Arg(1024)->Arg(4096)
    ->Unit(benchmark::kMillisecond)->UseRealTime();

void exact_method(benchmark::State& state) {
  const int64_t n = state.range(0), d = kHeadDim;
  const MethodInfo* info = MethodRegistry::instance().find("exact");
  if (!info) {
    state.SkipWithError("method 'exact' is not registered");
    return;
  }
  const CaseShape shape{.batch = 1, .heads = 1, .seq_len = n, .head_dim = d};
  Realized realized;
  const ParamSet params = resolve_params(*info, {}, shape, {}, realized);
  auto method = info->create({.shape = shape, .params = params, .seed = 0, .rng_key = "gbench/exact"});
  const auto q = normal_vector(n * d, "q"), k = normal_vector(n * d, "k"), v = normal_vector(n * d, "v");
  std::vector<float> out(q.size());
  CpuContext cpu;
  const auto view = [&](const std::vector<float>& x) { return Tensor{.data = const_cast<float*>(x.data()), .shape = shape.tensor_shape()}; };
  Tensor o{.data = out.data(), .shape = shape.tensor_shape()};
  method->prepare(cpu.ctx);
  for (auto _ : state) {
    method->forward(cpu.ctx, view(q), view(k), view(v), o);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, attention_flops(1, n, d), &cpu.ws);
}
BENCHMARK(exact_method)->Name("pairs/exact_method")->ArgName("N")->Arg(1024)->Arg(4096)
    ->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace attn::bench
