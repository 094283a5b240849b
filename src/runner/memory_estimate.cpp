#include "runner/memory_estimate.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <string>

#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"

namespace attn {

namespace {
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

double available_bytes() {
  std::ifstream f("/proc/meminfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream is(line.substr(13));
      double kib = 0;
      is >> kib;
      return kib * 1024.0;
    }
  }
  return 8.0 * kGiB;  // unknown: assume a small machine
}
}  // namespace

double MemoryEstimate::host_total() const {
  const double host_case = device == Device::cpu ? case_io_bytes + workspace_bytes : 2 * inputs_bytes / 3;
  return inputs_bytes + std::max(reference_bytes, reference_kept_bytes + host_case);
}

double MemoryEstimate::device_total() const { return device == Device::cpu ? 0 : case_io_bytes + workspace_bytes; }

MemoryEstimate estimate_case_memory(const Case& c, int threads) {
  const double elems = static_cast<double>(c.input.shape().numel());
  MemoryEstimate e;
  e.device = c.device;
  e.inputs_bytes = 3 * elems * 4;
  // compute_reference: fp64 Q, K, V (24 B/elem), the fp64 output (8), fp64 and fp32 mean-of-V (12)
  // and the fp32 exact output (4); only the fp64 output outlives it.
  e.reference_bytes = 48 * elems;
  e.reference_kept_bytes = 8 * elems;
  // CPU: the NaN-filled output, its host copy and the own-exact copy. GPU: Q, K, V and the output
  // on the device in the case's dtype (the two host copies of the output are counted by host_total).
  e.case_io_bytes = c.device == Device::cpu ? 3 * elems * 4 : 4 * elems * static_cast<double>(dtype_size(c.input.dtype));
  e.workspace_bytes = estimated_workspace_bytes(c, threads);
  return e;
}

double estimated_workspace_bytes(const Case& c, int threads) {
  const double method = c.info->workspace_bytes(c.shape(), c.params, threads);
  return c.device == Device::cuda ? method + static_cast<double>(cuda_blas_workspace_bytes()) : method;
}

MemoryBudget memory_budget(double budget_gib) {
  if (budget_gib > 0) return {budget_gib * kGiB, budget_gib * kGiB};
  MemoryBudget b{0.8 * available_bytes(), 0};
  if (cuda_available()) b.device_bytes = 0.8 * static_cast<double>(cuda_free_bytes());
  return b;
}

double memory_budget_bytes(double budget_gib) { return memory_budget(budget_gib).host_bytes; }

std::string over_budget_reason(const MemoryEstimate& e, const MemoryBudget& budget) {
  if (budget.host_bytes > 0 && e.host_total() > budget.host_bytes)
    return fmt::format("estimated peak {:.2f} GiB exceeds the memory budget of {:.2f} GiB (workspace {:.2f} GiB)",
                       e.host_total() / kGiB, budget.host_bytes / kGiB, e.workspace_bytes / kGiB);
  if (e.device != Device::cpu && budget.device_bytes > 0 && e.device_total() > budget.device_bytes)
    return fmt::format("estimated device peak {:.2f} GiB exceeds the device memory budget of {:.2f} GiB "
                       "(workspace {:.2f} GiB)",
                       e.device_total() / kGiB, budget.device_bytes / kGiB, e.workspace_bytes / kGiB);
  return {};
}

}  // namespace attn
