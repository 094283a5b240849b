// The memory-model tier on the GPU (STYLE.md, method test suite item 4; issue 8): every method that
// runs on cuda, at N = 1024 and 4096 (d = 64, B*H = 4; 16-bit too where the method has that path;
// causal at N = 1024 where supported: the causal scans keep other scratch), run the way the runner
// runs a case (runner/device_tensors.hpp: inputs outside the workspace, cuBLAS's workspace inside
// it, the peak reset once the inputs exist). Two properties:
//   1. the tracked device peak is at most 1.1 x the estimate the runner reports
//      (runner/memory_estimate.hpp: the method's workspace_bytes on cuda + the cuBLAS workspace)
//      + 64 KiB, so the up-front budget check never lets an oversized case through;
//   2. the tracked peak is within 64 MiB of what cudaMemGetInfo says the case took, so nothing
//      large is allocated behind the workspace's back (library internals and module code only).
// Each method runs in a forked child (tests/support/child_process.hpp); the parent never touches
// CUDA. Skips without a device. A method whose cuda run is `unsupported` (an op without a CUDA
// path) is listed, not failed: test_cuda_methods owns that.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "methods/registry.hpp"
#include "runner/device_tensors.hpp"
#include "runner/memory_estimate.hpp"
#include "support/child_process.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {

constexpr int kThreads = 2;
constexpr double kSlack = 64.0 * 1024;           // property 1's additive slack
constexpr double kDriverSlack = 64.0 * 1024 * 1024;  // property 2: module code, library internals, 2 MiB pages


// "ok <peak> <estimate> <used>", "unsupported <why>", "skipped <why>" or "error <why>" (bytes).
std::string measure(const std::string& name, int64_t n, bool causal, DType dtype) {
  const MethodInfo* info = MethodRegistry::instance().find(name);
  const CaseShape cs{.batch = 1, .heads = 4, .seq_len = n, .head_dim = 64, .causal = causal,
                     .device = Device::cuda, .dtype = dtype};
  ParamSet params;
  try {
    Realized realized;
    // A larger budget than test_cuda_methods' (rank 32, sparsity 0.75), so the low-rank and sparse
    // terms matter.
    params = resolve_params(*info, one_knob_budget(*info, 64, 0.9), cs, {}, realized);
  } catch (const UnsupportedError& e) {
    return std::string("skipped ") + e.what();
  }
  const Inputs in = make_inputs(cs.tensor_shape(), 7);
  const InputTensors host{.shape = in.shape, .q = in.q, .k = in.k, .v = in.v};
  try {
    DeviceTensors io(Device::cuda, host, kThreads, dtype);
    // The workspace already holds cuBLAS's share; the driver's count starts after it.
    const double base = static_cast<double>(io.workspace().current_bytes());
    const double free_before = static_cast<double>(cuda_free_bytes());
    auto method = info->create({.shape = cs, .params = params, .seed = 3, .rng_key = "test/" + name});
    method->prepare(io.context());
    method->forward(io.context(), io.q(), io.k(), io.v(), io.out());
    device_synchronize(Device::cuda);
    const double used = free_before - static_cast<double>(cuda_free_bytes()) + base;
    Case c;  // the runner's own rule for what the peak is compared with
    c.info = info;
    c.params = params;
    c.input = {.seq_len = n, .head_dim = cs.head_dim, .batch = cs.batch, .heads = cs.heads, .causal = causal,
               .dtype = dtype};
    c.device = Device::cuda;
    const double estimate = estimated_workspace_bytes(c, kThreads);
    return fmt::format("ok {} {} {}", io.workspace().peak_bytes(), estimate, used);
  } catch (const UnsupportedError& e) {
    return std::string("unsupported ") + e.what();
  } catch (const std::exception& e) {
    return std::string("error ") + e.what();
  }
}

bool device_present() {
  return in_child([] { return std::string(cuda_available() ? "yes" : "no"); }) == "yes";
}

// The runs of one method: every dtype it takes at both lengths, and causal fp32 at the shorter one.
struct MemoryRun {
  DType dtype;
  int64_t n;
  bool causal;
};
std::vector<MemoryRun> runs_of(const MethodInfo& info) {
  std::vector<MemoryRun> runs;
  for (DType dtype : info.dtypes)
    for (int64_t n : {int64_t{1024}, int64_t{4096}}) runs.push_back({dtype, n, false});
  if (info.supports_causal) runs.push_back({DType::f32, 1024, true});
  return runs;
}

// One child per method (a CUDA context and cuBLAS handle cost about a second to create): one line
// per run, in runs_of order, newlines in messages flattened.
std::string measure_all(const MethodInfo& info) {
  std::string lines;
  for (const MemoryRun& run : runs_of(info)) {
    std::string line = measure(info.name, run.n, run.causal, run.dtype);
    std::replace(line.begin(), line.end(), '\n', ' ');
    lines += line + "\n";
  }
  return lines;
}

TEST(CudaMemory, TrackedPeakWithinEstimateAndDriverCount) {
  if (!device_present()) GTEST_SKIP() << "no CUDA device on this machine (or a CPU-only build)";
  constexpr double kMiB = 1024.0 * 1024.0;
  int ok = 0, unsupported = 0;
  std::ostringstream table;
  for (const MethodInfo& info : MethodRegistry::instance().all()) {
    if (!info.runs_on(Device::cuda)) continue;
    const std::vector<MemoryRun> runs = runs_of(info);
    std::istringstream lines(in_child([&] { return measure_all(info); }));
    for (const MemoryRun& run : runs) {
      const std::string what =
          fmt::format("{} {} N={}{}", info.name, dtype_name(run.dtype), run.n, run.causal ? " causal" : "");
      std::string line;
      if (!std::getline(lines, line)) {
        ADD_FAILURE() << what << ": the method's child reported nothing for this run";
        break;
      }
      std::istringstream fields(line);
      std::string kind;
      fields >> kind;
      if (kind == "unsupported" || kind == "skipped") {
        unsupported += kind == "unsupported";
        table << "  " << what << ": " << line << "\n";
        continue;
      }
      if (kind != "ok") {  // an error, or the child's crash line
        ADD_FAILURE() << what << ": " << line;
        continue;
      }
      double peak = 0, estimate = 0, used = 0;
      fields >> peak >> estimate >> used;
      ++ok;
      table << fmt::format("  {}: peak {:.2f} MiB, estimate {:.2f} MiB, cudaMemGetInfo {:.2f} MiB\n", what,
                           peak / kMiB, estimate / kMiB, used / kMiB);
      EXPECT_LE(peak, 1.1 * estimate + kSlack)
          << what << ": tracked device peak " << peak << " B exceeds the estimate " << estimate << " B";
      EXPECT_LE(std::abs(used - peak), kDriverSlack)
          << what << ": tracked peak " << peak << " B, but cudaMemGetInfo counts " << used << " B";
    }
  }
  std::cout << "GPU workspace peak vs estimate (" << ok << " measured, " << unsupported << " unsupported):\n"
            << table.str();
}

}  // namespace
}  // namespace attn::test
