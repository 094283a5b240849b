#include "runner/cost_estimate.hpp"

#include "metrics/flops.hpp"
#include "runner/case_runner.hpp"

namespace attn {
namespace {
// Deliberately round rates: the estimates order and balance work, they do not predict it to the
// second. The fixed overheads keep tiny cases from looking free (a worker start, a case record).
constexpr double kCpuGflops = 50.0;
constexpr double kCudaGflops = 5000.0;
constexpr double kCpuFp64Gflops = 20.0;
constexpr double kCaseOverheadS = 0.01;
constexpr double kGroupOverheadS = 0.05;
constexpr double kNotRunS = 1e-4;  // skipped or unsupported: recorded without running
}  // namespace

double estimate_case_seconds(const Case& c, int repetitions, int warmup) {
  if (static_precheck(c)) return kNotRunS;
  const CaseShape s = c.shape();
  const double rate = (c.device == Device::cuda ? kCudaGflops : kCpuGflops) * 1e9;
  const double calls = repetitions + warmup + 2.0;  // + the cold first call and the own-exact check
  return kCaseOverheadS + calls * c.info->flops(s, c.params) / rate;
}

double estimate_reference_seconds(const InputSpec& in) {
  const double flops = dense_attention_flops(in.batch * in.heads, in.seq_len, in.head_dim, in.causal);
  return kGroupOverheadS + flops / (kCpuFp64Gflops * 1e9) + flops / (kCpuGflops * 1e9);
}

}  // namespace attn
