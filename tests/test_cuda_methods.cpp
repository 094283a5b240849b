// The method-level cross-backend test (STYLE.md, method test suite item 3): every registered method
// runs on the CPU and on CUDA with the same inputs, seed and rng key (so the same host-drawn
// randomness), non-causal and causal where supported, and the outputs must agree to normalized MSE
// below 1e-7 (fp32; for the hash / top-k / sampling families at most 1% of rows may differ, the rest
// below 1e-7). A method whose CUDA run throws UnsupportedError is recorded with the missing op
// (the message must name it: "op '<name>' ...") and does not fail; any other failure does.
//
// Each method runs in a forked child: a method that reads device memory on the host (a loop over
// tensor data outside the ops) crashes with SIGSEGV on the GPU, and that must fail one method, not
// the whole test. The parent never touches CUDA or OpenMP (neither is fork-safe once initialized);
// it only forks, reads one result line per child and reports. Skips without a device.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "methods/registry.hpp"
#include "support/child_process.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {

bool device_present() {
  return in_child([] { return std::string(cuda_available() ? "yes" : "no"); }) == "yes";
}

// One forward on CUDA, the way the runner does it (prepare, then forward into a NaN-filled output).
std::vector<float> run_on_cuda(const std::string& name, const Inputs& in, bool causal, uint64_t seed, Budget budget) {
  const MethodInfo* info = MethodRegistry::instance().find(name);
  const CaseShape cs{in.shape.batch, in.shape.heads, in.shape.seq_len, in.shape.head_dim, causal};
  Realized realized;
  const ParamSet params = resolve_params(*info, budget, cs, {}, realized);
  CudaSession session;
  Workspace ws(Device::cuda);
  Context ctx = session.make_context(ws, 2);
  const std::size_t bytes = in.q.size() * sizeof(float);
  std::vector<void*> owned;
  auto upload = [&](const std::vector<float>& host) {
    void* p = device_alloc(Device::cuda, bytes);
    owned.push_back(p);
    copy_bytes(p, Device::cuda, host.data(), Device::cpu, bytes);
    return Tensor{.data = p, .shape = in.shape, .dtype = DType::f32, .device = Device::cuda};
  };
  const Tensor q = upload(in.q), k = upload(in.k), v = upload(in.v);
  Tensor out = upload(std::vector<float>(in.q.size(), std::numeric_limits<float>::quiet_NaN()));
  auto method = info->create({.shape = cs, .params = params, .seed = seed, .rng_key = "test/" + name});
  method->prepare(ctx);
  method->forward(ctx, q, k, v, out);
  device_synchronize(Device::cuda);
  std::vector<float> host(in.q.size());
  copy_bytes(host.data(), Device::cpu, out.data, Device::cuda, bytes);
  for (void* p : owned) device_free(Device::cuda, p);
  return host;
}

// "ok <nmse> <differing rows>", "unsupported <message>", "skipped <message>" or "error <message>".
std::string compare_method(const std::string& name, bool causal) {
  const MethodInfo* info = MethodRegistry::instance().find(name);
  const Shape shape{.batch = 1, .heads = 2, .seq_len = 256, .head_dim = 64};
  const Inputs in = make_inputs(shape, 5);
  const Budget budget = one_knob_budget(*info, 32, 0.75);
  MethodRun cpu;
  try {
    cpu = run_method(name, in, causal, 0, budget);
  } catch (const UnsupportedError& e) {
    return std::string("skipped ") + e.what();  // not runnable at this shape on any device
  }
  std::vector<float> gpu;
  try {
    gpu = run_on_cuda(name, in, causal, 0, budget);
  } catch (const UnsupportedError& e) {
    return std::string("unsupported ") + e.what();
  } catch (const std::exception& e) {
    return std::string("error ") + e.what();
  }
  // Rows whose own relative error exceeds 1e-3 are "differing": a flipped discrete decision (a hash
  // bit or a top-k choice near a tie) changes whole rows, rounding changes all rows a little.
  double num = 0, den = 0, rest_num = 0, rest_den = 0;
  int64_t differing = 0, nonfinite = 0;
  const int64_t d = shape.head_dim, rows = static_cast<int64_t>(gpu.size()) / d;
  for (int64_t r = 0; r < rows; ++r) {
    double row_num = 0, row_den = 0;
    for (int64_t c = 0; c < d; ++c) {
      const double g = gpu[r * d + c], h = cpu.out[r * d + c];
      if (!std::isfinite(g)) ++nonfinite;
      row_num += (g - h) * (g - h);
      row_den += h * h;
    }
    num += row_num;
    den += row_den;
    if (row_num > 1e-6 * (row_den + 1e-12)) {
      ++differing;
    } else {
      rest_num += row_num;
      rest_den += row_den;
    }
  }
  if (nonfinite > 0) return "error " + std::to_string(nonfinite) + " non-finite outputs on CUDA";
  std::ostringstream line;
  line.precision(3);
  line << "ok " << std::scientific << (den > 0 ? num / den : num) << " " << differing << " " << rows << " "
       << (rest_den > 0 ? rest_num / rest_den : rest_num);
  return line.str();
}

// Families whose methods take discrete, data-dependent decisions (hash buckets, top-k blocks,
// sampled indices): a decision within rounding of its threshold may go the other way on the GPU.
bool discrete_decisions(const MethodInfo& info) {
  return info.family == "sampling" || info.family == "hybrid" || info.family == "sparse";
}

TEST(CudaMethods, EveryMethodMatchesTheCpuOrNamesItsMissingOp) {
  if (!device_present()) GTEST_SKIP() << "no CUDA device on this machine (or a CPU-only build)";
  int ok = 0, unsupported = 0;
  std::ostringstream table;
  for (const MethodInfo& info : MethodRegistry::instance().all()) {
    for (bool causal : {false, true}) {
      if (causal && !info.supports_causal) continue;
      const std::string what = info.name + (causal ? " causal" : "");
      const std::string line = in_child([&] { return compare_method(info.name, causal); });
      table << "  " << what << ": " << line << "\n";
      std::istringstream fields(line);
      std::string kind;
      fields >> kind;
      if (kind == "ok") {
        double nmse = 1, rest_nmse = 1;
        int64_t differing = 0, rows = 1;
        fields >> nmse >> differing >> rows >> rest_nmse;
        if (discrete_decisions(info)) {
          // Hash and top-k methods: a few rows may flip (at most 1%); the rest agree to 1e-7.
          EXPECT_LE(differing * 100, rows) << what << ": " << differing << " of " << rows << " rows differ";
          EXPECT_LT(rest_nmse, 1e-7) << what << ": CPU and CUDA differ outside the flipped rows";
        } else {
          EXPECT_LT(nmse, 1e-7) << what << ": CPU and CUDA differ (" << differing << " rows differ by > 1e-3 relative)";
        }
        ++ok;
      } else if (kind == "unsupported") {
        // Every op a GPU-capable method's forward uses has a CUDA version now: only methods that
        // declare themselves CPU-only (the fp64 oracles) may be unsupported, and they say why.
        EXPECT_FALSE(info.runs_on(Device::cuda)) << what << ": declares cuda but a forward op has no CUDA version: " << line;
        EXPECT_NE(line.find("op '"), std::string::npos) << what << ": an unsupported CUDA run must name the op: " << line;
        ++unsupported;
      } else if (kind != "skipped") {
        ADD_FAILURE() << what << ": " << line;
      }
    }
  }
  std::cout << "CUDA vs CPU per method (" << ok << " ok, " << unsupported << " unsupported):\n" << table.str();
}

TEST(CudaMethods, ChildReportsACrashInsteadOfDying) {
  // abort(), not a real SIGSEGV: AddressSanitizer turns a fault into exit(1), not into the signal.
  const std::string line = in_child([]() -> std::string { std::abort(); });
  EXPECT_EQ(line.rfind("crash: signal", 0), 0u) << line;
}

}  // namespace
}  // namespace attn::test
