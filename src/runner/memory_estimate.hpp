// Up-front memory estimates, so a case that cannot fit is `skipped` with the estimate in its reason
// instead of taking the process down.
#pragma once

#include <cstdint>

#include "spec/spec.hpp"

namespace attn {

struct MemoryEstimate {
  double inputs_bytes = 0;     // Q, K, V, output (fp32) on the case's device
  double reference_bytes = 0;  // fp64 copies and reference output (host, shared by the group)
  double workspace_bytes = 0;  // the method's own estimate
  double total() const { return inputs_bytes + reference_bytes + workspace_bytes; }
};

MemoryEstimate estimate_case_memory(const Case& c, int threads);
// The budget in bytes: the explicit GiB when > 0, else 80% of the memory available now.
double memory_budget_bytes(double budget_gib);

}  // namespace attn
