// The two faces of a Comparison: a table for people (CI logs) and JSON verdicts for tools.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/compare.hpp"

namespace attn {
namespace {

std::string pct(double ratio) { return fmt::format("{:+.1f}%", (ratio - 1) * 100); }

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
template <class T>
nlohmann::json opt(const std::optional<T>& v) { return v ? number(static_cast<double>(*v)) : nlohmann::json(nullptr); }

}  // namespace

std::string comparison_table(const Comparison& c, bool changes_only) {
  std::vector<std::array<std::string, 8>> rows;
  rows.push_back({"case", "status", "base ms", "new ms", "time", "p", "memory", "rel_fro"});
  std::vector<std::string> verdicts = {"verdict"};
  for (const auto& k : c.cases) {
    if (changes_only && k.verdict == Verdict::same && k.notes.empty()) continue;
    std::array<std::string, 8> r;
    r[0] = k.case_id;
    r[1] = k.base_status == k.new_status ? k.new_status : k.base_status + " -> " + k.new_status;
    if (k.time) {
      r[2] = fmt::format("{:.4g}", k.time->base_ms);
      r[3] = fmt::format("{:.4g}", k.time->new_ms);
      r[4] = pct(k.time->ratio);
      r[5] = fmt::format("{:.2g}", k.time->p_value);
    }
    if (k.memory_ratio) r[6] = pct(*k.memory_ratio);
    if (k.base_error && k.new_error) r[7] = fmt::format("{:.3g} -> {:.3g}", *k.base_error, *k.new_error);
    rows.push_back(r);
    verdicts.push_back(std::string(verdict_name(k.verdict)));
  }
  std::array<size_t, 9> width{};
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < 8; ++j) width[j] = std::max(width[j], rows[i][j].size());
    width[8] = std::max(width[8], verdicts[i].size());
  }
  std::string s;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < 8; ++j) {
      const bool right = j >= 2 && j <= 6;
      s += right ? fmt::format("{:>{}}  ", rows[i][j], width[j]) : fmt::format("{:<{}}  ", rows[i][j], width[j]);
    }
    s += verdicts[i] + "\n";
    if (i == 0) s += std::string(std::accumulate(width.begin(), width.end(), size_t(0)) + 16, '-') + "\n";
  }
  if (changes_only && rows.size() == 1) s += "(no case changed)\n";
  // Why each regressed case blocks, and what improved, one line each.
  for (const auto& k : c.cases) {
    for (const auto& why : k.regressions) s += fmt::format("REGRESSED {}: {}\n", k.case_id, why);
  }
  for (const auto& k : c.cases) {
    for (const auto& what : k.improvements) s += fmt::format("improved  {}: {}\n", k.case_id, what);
    for (const auto& note : k.notes) s += fmt::format("note      {}: {}\n", k.case_id, note);
  }
  for (const auto& id : c.only_in_base) s += fmt::format("missing   {}: in BASE, not in NEW\n", id);
  for (const auto& id : c.only_in_new) s += fmt::format("new       {}: not in BASE\n", id);
  for (const auto& w : c.warnings) s += fmt::format("warning: {}\n", w);
  std::string geo = "geomean: ";
  geo += c.geomean_time_ratio ? fmt::format("time {} over {} cases{}", pct(*c.geomean_time_ratio), c.time_pairs,
                                            c.time_gated ? "" : " (not gated)")
                              : "time n/a";
  geo += c.geomean_memory_ratio ? fmt::format(", memory {}", pct(*c.geomean_memory_ratio)) : "";
  s += geo + fmt::format("; {} cases compared, {} regressed, {} improved: {}\n", c.cases.size(), c.regressions,
                         c.improvements, c.exit_code() == 0 ? "PASS" : "FAIL");
  return s;
}

nlohmann::json comparison_json(const Comparison& c, const CompareOptions& o) {
  using nlohmann::json;
  json cases = json::array();
  for (const auto& k : c.cases) {
    json t = nullptr;
    if (k.time)
      t = {{"base_median_ms", number(k.time->base_ms)}, {"new_median_ms", number(k.time->new_ms)},
           {"ratio", number(k.time->ratio)}, {"p_value", number(k.time->p_value)}, {"base_samples", k.time->base_n},
           {"new_samples", k.time->new_n}, {"significant", k.time->significant}};
    cases.push_back({{"case_id", k.case_id},
                     {"verdict", k.verdict == Verdict::regressed ? "regressed" : std::string(verdict_name(k.verdict))},
                     {"base_status", k.base_status},
                     {"new_status", k.new_status},
                     {"time", t},
                     {"memory_ratio", opt(k.memory_ratio)},
                     {"base_rel_fro", opt(k.base_error)},
                     {"new_rel_fro", opt(k.new_error)},
                     {"regressions", k.regressions},
                     {"improvements", k.improvements},
                     {"notes", k.notes}});
  }
  return {{"schema", "attnbench.compare/1"},
          {"pass", c.exit_code() == 0},
          {"exit_code", c.exit_code()},
          {"time_gated", c.time_gated},
          {"options",
           {{"time_threshold", o.time_threshold}, {"time_floor_ms", o.time_floor_ms}, {"alpha", o.alpha},
            {"memory_threshold", o.memory_threshold}, {"memory_floor_bytes", o.memory_floor_bytes},
            {"error_threshold", o.error_threshold}, {"lenient", o.lenient}, {"fail_missing", o.fail_missing},
            {"gate_time", o.gate_time}, {"gate_memory", o.gate_memory}}},
          {"summary",
           {{"compared", c.cases.size()}, {"regressed", c.regressions}, {"improved", c.improvements},
            {"geomean_time_ratio", opt(c.geomean_time_ratio)}, {"time_pairs", c.time_pairs},
            {"geomean_memory_ratio", opt(c.geomean_memory_ratio)}}},
          {"only_in_base", c.only_in_base},
          {"only_in_new", c.only_in_new},
          {"warnings", c.warnings},
          {"cases", cases}};
}

}  // namespace attn
