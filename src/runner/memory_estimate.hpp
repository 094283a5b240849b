// Up-front memory estimates, so a case that cannot fit is `skipped` with the estimate in its reason
// instead of taking the process (or the machine) down. The process itself (code, BLAS buffers: a
// worker's whole peak RSS is about 14 MiB on the smallest smoke case) is left to the budget's headroom.
#pragma once

#include <cstdint>
#include <string>

#include "spec/spec.hpp"

namespace attn {

struct MemoryEstimate {
  Device device = Device::cpu;
  double inputs_bytes = 0;          // host Q, K, V (fp32) of the input group
  double reference_bytes = 0;       // host peak while the fp64 reference is made (on top of the inputs)
  double reference_kept_bytes = 0;  // the fp64 reference output, kept through every case of the group
  double case_io_bytes = 0;         // host: the output and its copies; GPU: Q, K, V and the output there
  double workspace_bytes = 0;       // estimated_workspace_bytes: the method's own estimate (+ cuBLAS on the GPU)

  // Host peak: inputs plus the larger of the reference phase and the case phase.
  double host_total() const;
  // Device peak of a GPU case (0 on the CPU).
  double device_total() const;
  double total() const { return host_total() + device_total(); }
};

MemoryEstimate estimate_case_memory(const Case& c, int threads);

// The estimate the case's tracked workspace peak is compared with (CaseResult's
// estimated_workspace_bytes): the method's workspace_bytes on the case's device and dtype, plus, on
// cuda, the cuBLAS workspace the session puts into every case's workspace (cuda_blas_workspace_bytes,
// 32 MiB on Hopper), so a GPU estimate is comparable with the tracked device peak.
double estimated_workspace_bytes(const Case& c, int threads);

// Budgets in bytes; <= 0 means "no check".
struct MemoryBudget {
  double host_bytes = 0;
  double device_bytes = 0;
};
// The explicit GiB when > 0 (for both host and device), else 80% of the host memory available now
// and 80% of the free device memory (when a CUDA device is present).
MemoryBudget memory_budget(double budget_gib);
// Kept for callers that only need the host figure.
double memory_budget_bytes(double budget_gib);

// Empty when the estimate fits; otherwise the reason recorded with the `skipped` status.
std::string over_budget_reason(const MemoryEstimate& e, const MemoryBudget& budget);

}  // namespace attn
