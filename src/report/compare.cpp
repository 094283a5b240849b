#include "report/compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/sysinfo.hpp"
#include "report/compare_mann_whitney.hpp"

namespace attn {
namespace {

// Google Benchmark's compare.py asks for 9+ repetitions before trusting its U test.
constexpr int kMinReliableRepetitions = 9;

std::string pct(double ratio) { return fmt::format("{:+.1f}%", (ratio - 1) * 100); }

void check_time(const CaseResult& b, const CaseResult& n, const CompareOptions& o, bool gated, CaseComparison& out) {
  if (b.time_ms.samples.empty() || n.time_ms.samples.empty() || b.time_ms.median <= 0) return;
  TimeCheck t;
  t.base_ms = b.time_ms.median;
  t.new_ms = n.time_ms.median;
  t.ratio = t.new_ms / t.base_ms;
  t.base_n = static_cast<int>(b.time_ms.samples.size());
  t.new_n = static_cast<int>(n.time_ms.samples.size());
  t.p_value = mann_whitney_u(b.time_ms.samples, n.time_ms.samples).p_value;
  const bool past_floor = std::abs(t.new_ms - t.base_ms) > o.time_floor_ms;
  const bool slower = t.ratio > 1 + o.time_threshold, faster = t.ratio < 1 / (1 + o.time_threshold);
  t.significant = past_floor && (slower || faster) && t.p_value < o.alpha;
  out.time = t;
  if (!t.significant) return;
  const std::string what = fmt::format("time {} ({:.4g} -> {:.4g} ms, p={:.2g})", pct(t.ratio), t.base_ms, t.new_ms, t.p_value);
  if (!gated) out.notes.push_back(what + " not gated");
  else if (slower) out.regressions.push_back(what);
  else out.improvements.push_back(what);
}

void check_memory(const char* name, double base, double fresh, const CompareOptions& o, CaseComparison& out) {
  if (fresh > base * (1 + o.memory_threshold) && fresh - base > o.memory_floor_bytes)
    out.regressions.push_back(fmt::format("{} {:.0f} -> {:.0f} bytes ({})", name, base, fresh, base > 0 ? pct(fresh / base) : "new"));
  else if (base > fresh * (1 + o.memory_threshold) && base - fresh > o.memory_floor_bytes)
    out.improvements.push_back(fmt::format("{} {:.0f} -> {:.0f} bytes", name, base, fresh));
}

void check_error(const char* name, const std::optional<ErrorMetrics>& b, const std::optional<ErrorMetrics>& n,
                 double floor, const CompareOptions& o, CaseComparison& out) {
  if (!b || !std::isfinite(b->rel_fro)) return;
  if (!n || !std::isfinite(n->rel_fro)) {
    out.regressions.push_back(fmt::format("{} no longer measured", name));
    return;
  }
  const double base = b->rel_fro, fresh = n->rel_fro;
  const double allowed = base * (1 + o.error_threshold) + floor;
  if (fresh > allowed) out.regressions.push_back(fmt::format("{} {:.4g} -> {:.4g} ({})", name, base, fresh, pct(fresh / base)));
  else if (fresh < base / (1 + o.error_threshold) - floor) out.improvements.push_back(fmt::format("{} {:.4g} -> {:.4g}", name, base, fresh));
}

CaseComparison compare_case(const CaseResult& b, const CaseResult& n, const CompareOptions& o, bool time_gated) {
  CaseComparison c{.case_id = b.case_id, .base_status = b.status, .new_status = n.status};
  if (b.error) c.base_error = b.error->rel_fro;
  if (n.error) c.new_error = n.error->rel_fro;
  if (b.status == "ok" && n.status != "ok") {
    c.regressions.push_back(fmt::format("status ok -> {}{}", n.status, n.reason ? ": " + *n.reason : ""));
  } else if (b.status != "ok" && n.status == "ok") {
    c.improvements.push_back(fmt::format("status {} -> ok", b.status));
  } else if (b.status != n.status) {
    c.notes.push_back(fmt::format("status {} -> {}", b.status, n.status));
  }
  if (b.status == "ok" && n.status == "ok") {
    check_time(b, n, o, time_gated, c);
    const double bp = static_cast<double>(b.peak_workspace_bytes), np = static_cast<double>(n.peak_workspace_bytes);
    if (bp > 0 && np > 0) c.memory_ratio = np / bp;
    if (o.gate_memory) check_memory("peak workspace", bp, np, o, c);
    if (o.gate_memory && b.device_peak_bytes && n.device_peak_bytes)
      check_memory("device peak", static_cast<double>(*b.device_peak_bytes), static_cast<double>(*n.device_peak_bytes), o, c);
    // Differences below the noise floor (exact kernel in fp32 vs fp64) are not meaningful.
    const double floor = std::max({b.noise_floor_rel_fro.value_or(0.0), n.noise_floor_rel_fro.value_or(0.0), 1e-9});
    check_error("rel_fro", b.error, n.error, floor, o, c);
    check_error("own_rel_fro", b.own_error, n.own_error, floor, o, c);
  }
  c.verdict = !c.regressions.empty() ? Verdict::regressed : !c.improvements.empty() ? Verdict::improved : Verdict::same;
  return c;
}

double geomean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::log(x);
  return std::exp(s / static_cast<double>(v.size()));
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::same: return "same";
    case Verdict::improved: return "improved";
    case Verdict::regressed: return "REGRESSED";
  }
  return "";
}

int Comparison::exit_code() const { return regressions > 0 || missing_blocks ? 1 : 0; }

std::optional<std::string> machine_mismatch(const Report& base, const Report& fresh) {
  const bool base_known = base.context_json.is_object() && !base.context_json.empty();
  const bool fresh_known = fresh.context_json.is_object() && !fresh.context_json.empty();
  if (!base_known || !fresh_known)
    return fmt::format("the machine of {} is unknown (a JSONL has no context)", !base_known ? "BASE" : "NEW");
  const std::string a = fingerprint(base.context), b = fingerprint(fresh.context);
  if (a == b) return std::nullopt;
  return fmt::format("BASE ran on [{}], NEW on [{}]", a, b);
}

Comparison compare_reports(const Report& base, const Report& fresh, const CompareOptions& o) {
  Comparison out;
  out.options_alpha = o.alpha;
  if (const auto why = machine_mismatch(base, fresh)) {
    if (!o.lenient)
      throw IncompatibleBaseline(fmt::format("different machines: {}; times are not comparable (--lenient compares "
                                             "error, memory and status only)", *why));
    out.time_gated = false;
    out.warnings.push_back(fmt::format("different machines ({}): time not gated (--lenient)", *why));
  }
  if (!o.gate_time) out.time_gated = false;
  if (out.time_gated && base.context.threads != fresh.context.threads) {
    out.time_gated = false;
    out.warnings.push_back(fmt::format("thread counts differ ({} vs {}): time not gated", base.context.threads, fresh.context.threads));
  }
  if (fresh.interrupted) out.warnings.push_back("NEW is from an interrupted sweep: some cases may be missing");
  if (!base.spec_sha256.empty() && !fresh.spec_sha256.empty() && base.spec_sha256 != fresh.spec_sha256)
    out.warnings.push_back("the reports ran different specs: only cases with the same id are compared");

  std::map<std::string, const CaseResult*> by_id;
  for (const auto& r : fresh.results) by_id[r.case_id] = &r;  // a resumed duplicate: the last one wins
  std::map<std::string, bool> seen;
  std::vector<double> time_ratios, memory_ratios;
  int min_reps = 1 << 30;
  for (const auto& b : base.results) {
    if (seen[b.case_id]) continue;
    seen[b.case_id] = true;
    const auto it = by_id.find(b.case_id);
    if (it == by_id.end()) {
      out.only_in_base.push_back(b.case_id);
      continue;
    }
    auto c = compare_case(b, *it->second, o, out.time_gated);
    if (c.time) {
      time_ratios.push_back(c.time->ratio);
      min_reps = std::min({min_reps, c.time->base_n, c.time->new_n});
    }
    if (c.memory_ratio) memory_ratios.push_back(*c.memory_ratio);
    out.regressions += c.verdict == Verdict::regressed;
    out.improvements += c.verdict == Verdict::improved;
    out.cases.push_back(std::move(c));
  }
  for (const auto& r : fresh.results)
    if (!seen.count(r.case_id) && std::find(out.only_in_new.begin(), out.only_in_new.end(), r.case_id) == out.only_in_new.end())
      out.only_in_new.push_back(r.case_id);
  if (out.cases.empty())
    throw IncompatibleBaseline(fmt::format("no case of NEW matches a case of BASE ({} vs {} cases): nothing to compare",
                                           base.results.size(), fresh.results.size()));
  out.time_pairs = static_cast<int>(time_ratios.size());
  if (!time_ratios.empty()) out.geomean_time_ratio = geomean(time_ratios);
  if (!memory_ratios.empty()) out.geomean_memory_ratio = geomean(memory_ratios);
  if (out.time_gated && !time_ratios.empty() && min_reps < kMinReliableRepetitions)
    out.warnings.push_back(fmt::format("only {} timed repetitions in some cases: the U test has little power below {}, "
                                       "so a real slowdown may pass (use --repetitions {} or more)",
                                       min_reps, kMinReliableRepetitions, kMinReliableRepetitions));
  if (!out.only_in_base.empty())
    out.warnings.push_back(fmt::format("{} BASE case(s) missing from NEW{}", out.only_in_base.size(),
                                       o.fail_missing ? " (blocking: --fail-missing)" : ""));
  out.missing_blocks = o.fail_missing && !out.only_in_base.empty();
  return out;
}

}  // namespace attn
