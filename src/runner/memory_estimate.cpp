#include "runner/memory_estimate.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace attn {

MemoryEstimate estimate_case_memory(const Case& c, int threads) {
  const double elems = static_cast<double>(c.input.shape().numel());
  MemoryEstimate e;
  e.inputs_bytes = 4 * elems * 4;         // q, k, v, out
  e.reference_bytes = 4 * elems * 8 + elems * 4;  // fp64 q, k, v, reference; fp32 noise-floor output
  const CaseShape shape{c.input.batch, c.input.heads, c.input.seq_len, c.input.head_dim, c.input.causal};
  e.workspace_bytes = c.info->workspace_bytes(shape, c.params, threads);
  return e;
}

namespace {
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
  return 8.0 * (1ull << 30);  // unknown: assume a small machine
}
}  // namespace

double memory_budget_bytes(double budget_gib) {
  if (budget_gib > 0) return budget_gib * static_cast<double>(1ull << 30);
  return 0.8 * available_bytes();
}

}  // namespace attn
