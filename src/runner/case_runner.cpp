#include "runner/case_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <limits>
#include <new>

#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "core/gpu_timing.hpp"
#include "metrics/flops.hpp"
#include "runner/device_tensors.hpp"
#include "runner/fault_injection.hpp"
#include "runner/peak_rss.hpp"
#include "runner/memory_estimate.hpp"

namespace attn {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::vector<double> time_on_host(int repetitions, const std::function<void()>& forward) {
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(repetitions));
  for (int i = 0; i < repetitions; ++i) {
    const auto t0 = Clock::now();
    forward();
    samples.push_back(elapsed_ms(t0));
  }
  return samples;
}

// CUDA events on the case's stream around each forward (optionally after an L2 flush), with the SM
// clock read before and after so a throttled run is visible in the report.
std::vector<double> time_on_device(const Context& ctx, const CaseSettings& settings,
                                   const std::function<void()>& forward, CaseResult& r) {
  DeviceTimer timer(ctx.stream);
  std::optional<L2Flusher> flusher;
  if (settings.cold_l2) flusher.emplace(ctx.stream);
  const GpuClocks before = read_gpu_clocks();
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(settings.repetitions));
  for (int i = 0; i < settings.repetitions; ++i) {
    if (flusher) flusher->flush();
    timer.start();
    forward();
    samples.push_back(timer.stop_ms());
  }
  const GpuClocks after = read_gpu_clocks();
  r.timer = "cuda-events";
  r.cold_l2 = settings.cold_l2;
  if (before.available && after.available) {
    GpuClocks any = after;
    any.throttle_mask |= before.throttle_mask;
    r.gpu_clocks = GpuClockRecord{.sm_mhz_start = before.sm_mhz, .sm_mhz_end = after.sm_mhz,
                                  .throttle_reasons = any.throttle_reasons()};
  }
  return samples;
}

std::vector<float> own_exact_output(Method& method, DeviceTensors& io) {
  io.fill_output_nan();
  method.forward_own_exact(io.context(), io.q(), io.k(), io.v(), io.out());
  return io.output_to_host();
}

// A GPU case's own exact operator is a reference, like the softmax one: it runs on the host, from a
// CPU instance of the method with the same config (hence the same random draws), so the reference
// forms (dense DFTs, recurrences, host loops) never touch device memory.
std::vector<float> own_exact_on_host(const MethodInfo& info, const MethodConfig& config, const InputTensors& inputs,
                                     int threads) {
  DeviceTensors host_io(Device::cpu, inputs, threads);
  MethodConfig host_config = config;
  host_config.shape.device = Device::cpu;
  host_config.shape.dtype = DType::f32;
  auto method = info.create(host_config);
  method->prepare(host_io.context());
  return own_exact_output(*method, host_io);
}

}  // namespace

std::optional<NotRun> static_precheck(const Case& c) {
  if (c.skip_reason) return NotRun{"skipped", *c.skip_reason};
  if (c.input.causal && !c.info->supports_causal)
    return NotRun{"unsupported", fmt::format("method '{}' has no causal variant", c.method)};
  if (!c.info->runs_on(c.device))
    return NotRun{"unsupported", fmt::format("method '{}' does not run on {}", c.method, device_name(c.device))};
  if (!c.info->takes(c.input.dtype))
    return NotRun{"unsupported", fmt::format("method '{}' has no {} path (its ops run fp32 only)", c.method,
                                             dtype_name(c.input.dtype))};
  return std::nullopt;
}

std::optional<NotRun> precheck(const Case& c, const CaseSettings& settings) {
  if (auto why = static_precheck(c)) return why;
  if (c.device == Device::cuda && !cuda_available())
    return NotRun{"unsupported", "no CUDA device is available (CPU-only build or no GPU present)"};
  const std::string over = over_budget_reason(estimate_case_memory(c, settings.threads), settings.memory_budget);
  if (!over.empty()) return NotRun{"skipped", over};
  return std::nullopt;
}

std::string case_rng_key(const Case& c) {
  const auto slash = c.id.rfind('/');
  return slash == std::string::npos ? c.id : c.id.substr(0, slash);
}

CaseResult describe_case(const Case& c, int threads) {
  CaseResult r;
  r.case_id = c.id;
  r.method = c.method;
  r.family = c.info->family;
  r.params = c.params.to_json();
  r.budget = c.budget;
  r.realized = c.realized;
  r.input = c.input;
  r.device = c.device;
  const CaseShape shape = c.shape();
  r.flops_dense = dense_attention_flops(shape.heads_total(), shape.seq_len, shape.head_dim, shape.causal);
  r.flops_algorithmic = c.info->flops(shape, c.params);
  r.estimated_workspace_bytes = estimated_workspace_bytes(c, threads);  // + cuBLAS's workspace on cuda
  r.reference = c.info->reference == ReferenceKind::self ? "self" : "softmax-fp64";
  return r;
}

CaseResult run_case(const Case& c, const InputTensors& inputs, const Reference& reference, const CaseSettings& settings) {
  CaseResult r = describe_case(c, settings.threads);
  r.repetitions = settings.repetitions;
  r.warmup = settings.warmup;
  if (const auto why = precheck(c, settings)) {
    r.status = why->status;
    r.reason = why->reason;
    return r;
  }
  r.trivial_rel_fro = reference.trivial_rel_fro;
  r.noise_floor_rel_fro = reference.noise_floor_rel_fro;

  const CaseShape shape = c.shape();
  const int64_t rows = shape.heads_total() * shape.seq_len;
  // The process peak from here on: the group's inputs and reference plus what this case adds.
  const bool rss_reset = reset_peak_rss();
  try {
    inject_fault(c.id);
    const std::size_t device_free_before = c.device == Device::cuda ? cuda_free_bytes() : 0;
    DeviceTensors io(c.device, inputs, settings.threads, c.input.dtype);  // Q, K, V and a NaN-filled output on the device
    Context& ctx = io.context();
    const MethodConfig config{.shape = shape, .params = c.params, .seed = c.input.seed, .rng_key = case_rng_key(c)};
    auto method = c.info->create(config);

    auto t0 = Clock::now();
    method->prepare(ctx);
    device_synchronize(c.device);
    r.setup_ms = elapsed_ms(t0);

    // Verify before timing: the cold first call's output is the one whose error is reported.
    t0 = Clock::now();
    method->forward(ctx, io.q(), io.k(), io.v(), io.out());
    device_synchronize(c.device);
    r.first_call_ms = elapsed_ms(t0);
    const std::vector<float> out = io.output_to_host();
    const ErrorMetrics vs_softmax = compare_outputs(out.data(), reference.output.data(), rows, shape.head_dim);
    // Operators that do not try to reproduce softmax (reference kind `self`) leave the softmax
    // error null: a number near 100% would be noise, not information (lowrank.md §0).
    if (c.info->reference != ReferenceKind::self) r.error = vs_softmax;
    r.diagnostics = method->diagnostics();
    if (c.info->reference != ReferenceKind::softmax) {
      const std::vector<float> own = c.device == Device::cpu ? own_exact_output(*method, io)
                                                              : own_exact_on_host(*c.info, config, inputs, settings.threads);
      r.own_error = compare_outputs(out.data(), own.data(), rows, shape.head_dim);
    }

    for (int i = 0; i < settings.warmup; ++i) method->forward(ctx, io.q(), io.k(), io.v(), io.out());
    device_synchronize(c.device);
    auto forward = [&] { method->forward(ctx, io.q(), io.k(), io.v(), io.out()); };
    r.time_ms = summarize(c.device == Device::cuda ? time_on_device(ctx, settings, forward, r)
                                                   : time_on_host(settings.repetitions, forward));
    r.peak_workspace_bytes = static_cast<int64_t>(io.workspace().peak_bytes());
    // After timing (the probe's buffers are separate and do not move the workspace peak).
    if (c.info->linear_in_v && c.device == Device::cpu && shape.seq_len <= settings.attn_metrics_max_n) {
      r.attention = probe_attention_metrics(ctx, *method, shape, inputs.q.data(), inputs.k.data());
      // The oracle bound only means something for a method with a budget (exact and mean-v have none).
      const bool budgeted = c.info->uses_rank || c.info->uses_sparsity;
      const auto bound = budgeted ? oracle_rel_fro(shape, inputs.q.data(), inputs.k.data(), c.realized,
                                                   settings.threads, reference.oracle.get())
                                  : std::nullopt;
      if (bound) {
        r.oracle_rel_fro = bound->rel_fro;
        r.oracle_kind = bound->kind;
      }
    }
    if (c.device == Device::cuda) {
      r.device_peak_bytes = r.peak_workspace_bytes;
      const std::size_t free_now = cuda_free_bytes();
      if (device_free_before > 0 && free_now > 0)
        r.device_used_bytes = static_cast<int64_t>(device_free_before) - static_cast<int64_t>(free_now);
    }
    if (r.time_ms.median > 0) {
      r.gflops_per_s = r.flops_dense / (r.time_ms.median * 1e6);
      r.gflops_algorithmic_per_s = r.flops_algorithmic / (r.time_ms.median * 1e6);
    }
    if (vs_softmax.nonfinite > 0) {
      r.status = "nonfinite";
      r.reason = fmt::format("{} NaN/Inf elements in the output", vs_softmax.nonfinite);
    }
  } catch (const CaseError& e) {
    r.status = e.status();
    r.reason = e.what();
  } catch (const std::bad_alloc&) {
    r.status = "oom";
    r.reason = "allocation failed (std::bad_alloc)";
  } catch (const std::exception& e) {
    r.status = "error";
    r.reason = e.what();
  }
  if (rss_reset) r.peak_rss_bytes = peak_rss_bytes();
  return r;
}

}  // namespace attn
