#include "report/summary_table.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace attn {

namespace {

std::string budget_text(const CaseResult& r) {
  std::string s;
  if (r.realized.rank) s += fmt::format("rank={} ", *r.realized.rank);
  if (r.budget.sparsity) s += fmt::format("sparsity={:g} ", *r.budget.sparsity);
  if (r.realized.density && r.family != "exact" && r.family != "baseline")
    s += fmt::format("density={:.3f} ", *r.realized.density);
  if (r.input.causal) s += "causal ";
  if (!s.empty()) s.pop_back();
  return s.empty() ? "-" : s;
}

std::string input_text(const CaseResult& r) {
  std::string s = r.input.distribution;
  if (r.input.temperature != 1.0) s += fmt::format(" t={:g}", r.input.temperature);
  return s;
}

}  // namespace

std::string summary_table(const std::vector<CaseResult>& results) {
  struct Row {
    std::string cells[9];
  };
  std::vector<Row> rows;
  rows.push_back({{"method", "budget", "input", "N", "device", "status", "median ms", "peak MiB", "rel_fro"}});
  for (const auto& r : results) {
    const bool ran = r.status == "ok" || r.status == "nonfinite";
    rows.push_back({{r.method, budget_text(r), input_text(r), std::to_string(r.input.seq_len),
                     std::string(device_name(r.device)), r.status,
                     ran ? fmt::format("{:.3f}", r.time_ms.median) : "-",
                     ran ? fmt::format("{:.2f}", static_cast<double>(r.peak_workspace_bytes) / (1 << 20)) : "-",
                     ran && r.error ? fmt::format("{:.3g}", r.error->rel_fro) : "-"}});
  }
  size_t width[9] = {};
  for (const auto& row : rows)
    for (int i = 0; i < 9; ++i) width[i] = std::max(width[i], row.cells[i].size());
  std::string out;
  for (size_t k = 0; k < rows.size(); ++k) {
    for (int i = 0; i < 9; ++i) {
      const bool numeric = i == 3 || i >= 6;
      out += numeric ? fmt::format("{:>{}}", rows[k].cells[i], width[i]) : fmt::format("{:<{}}", rows[k].cells[i], width[i]);
      out += i + 1 < 9 ? "  " : "\n";
    }
    if (k == 0) {
      for (int i = 0; i < 9; ++i) out += std::string(width[i], '-') + (i + 1 < 9 ? "  " : "\n");
    }
  }
  return out;
}

}  // namespace attn
