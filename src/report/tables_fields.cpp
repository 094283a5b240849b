#include "report/tables_fields.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"

namespace attn {
namespace {

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string s;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!s.empty()) s += sep;
    s += p;
  }
  return s;
}

std::string param_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// "gaussian" or "gaussian t=4": the distribution token of the case id plus a non-default temperature.
std::string input_label(const CaseResult& r) {
  const std::string frag = r.input.id_fragment();
  std::string s = frag.substr(0, frag.find('/'));
  if (r.input.temperature != 1.0) s += fmt::format(" t={:g}", r.input.temperature);
  return s;
}

std::string budget_text(const CaseResult& r) {
  std::vector<std::string> parts;
  if (r.budget.rank) parts.push_back(fmt::format("rank={}", *r.budget.rank));
  if (r.budget.sparsity) parts.push_back(fmt::format("sparsity={:g}", *r.budget.sparsity));
  return join(parts, " ");
}

double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

}  // namespace

RecordLabels::RecordLabels(const std::vector<CaseResult>& records) {
  // Per method: records that share a budget and a shape but differ in some parameter are different
  // configurations (local's variant=blocks and variant=sliding at one sparsity). Parameters that
  // differ only between budgets or shapes (a window derived from sparsity and N) are not named.
  std::map<std::string, std::vector<const CaseResult*>> by_method;
  for (const auto& r : records) by_method[r.method].push_back(&r);
  for (const auto& [method, recs] : by_method) {
    std::map<std::string, std::set<std::string>> all_values;                    // param -> values
    std::map<std::string, std::map<std::string, std::set<std::string>>> within;  // param -> group -> values
    const auto group_of = [](const CaseResult& r) { return budget_text(r) + "|" + shape_key(r); };
    for (const CaseResult* r : recs)
      for (const auto& [name, value] : r->params.items()) {
        all_values[name].insert(param_text(value));
        within[name][group_of(*r)].insert(param_text(value));
      }
    std::vector<std::string> candidates;
    for (const auto& [name, groups] : within)
      if (std::any_of(groups.begin(), groups.end(), [](const auto& g) { return g.second.size() > 1; }))
        candidates.push_back(name);
    if (candidates.empty()) continue;
    // Name as few parameters as tell the configurations apart: those with fewest distinct values first.
    std::stable_sort(candidates.begin(), candidates.end(), [&](const auto& a, const auto& b) {
      return all_values[a].size() < all_values[b].size();
    });
    const auto tuple = [](const CaseResult& r, const std::vector<std::string>& names) {
      std::string t;
      for (const auto& n : names) t += (r.params.contains(n) ? param_text(r.params[n]) : "") + "\x1f";
      return t;
    };
    std::vector<std::string> chosen;
    for (const auto& c : candidates) {
      chosen.push_back(c);
      std::map<std::string, std::string> full_of;  // group + chosen tuple -> full tuple
      bool separates = true;
      for (const CaseResult* r : recs) {
        const auto [it, fresh] = full_of.emplace(group_of(*r) + "|" + tuple(*r, chosen), tuple(*r, candidates));
        if (!fresh && it->second != tuple(*r, candidates)) separates = false;
      }
      if (separates) break;
    }
    variant_params_[method].insert(chosen.begin(), chosen.end());
  }
}

std::string RecordLabels::budget(const CaseResult& r) const { return budget_text(r); }

std::string RecordLabels::variant(const CaseResult& r) const {
  const auto it = variant_params_.find(r.method);
  if (it == variant_params_.end()) return "";
  std::vector<std::string> parts;
  for (const auto& name : it->second)
    if (r.params.contains(name)) parts.push_back(fmt::format("{}={}", name, param_text(r.params[name])));
  return join(parts, " ");
}

std::string RecordLabels::config(const CaseResult& r) const { return join({r.method, budget(r), variant(r)}, " "); }

const std::vector<std::string>& record_key_names() {
  static const std::vector<std::string> names = {
      "method", "family", "config", "budget", "variant", "rank", "sparsity", "realized_rank", "realized_density",
      "input", "distribution", "temperature", "N", "d", "B", "H", "causal", "dtype", "seed", "device", "shape",
      "status", "case_id", "params.NAME"};
  return names;
}

void check_record_key(const std::string& key) {
  if (key.rfind("params.", 0) == 0 && key.size() > 7) return;
  const auto& names = record_key_names();
  if (std::find(names.begin(), names.end(), key) == names.end() || key == "params.NAME")
    throw UsageError(fmt::format("unknown key '{}' (known: {})", key, join(names, ", ")));
}

std::string record_key(const CaseResult& r, const std::string& key, const RecordLabels& labels) {
  const auto opt = [](const auto& v) { return v ? fmt::format("{}", *v) : std::string(); };
  if (key == "method") return r.method;
  if (key == "family") return r.family;
  if (key == "config") return labels.config(r);
  if (key == "budget") return labels.budget(r);
  if (key == "variant") return labels.variant(r);
  if (key == "rank") return opt(r.budget.rank);
  if (key == "sparsity") return r.budget.sparsity ? fmt::format("{:g}", *r.budget.sparsity) : "";
  if (key == "realized_rank") return opt(r.realized.rank);
  if (key == "realized_density") return r.realized.density ? fmt::format("{:.4g}", *r.realized.density) : "";
  if (key == "input") return input_label(r);
  if (key == "distribution") return r.input.distribution;
  if (key == "temperature") return fmt::format("{:g}", r.input.temperature);
  if (key == "N") return std::to_string(r.input.seq_len);
  if (key == "d") return std::to_string(r.input.head_dim);
  if (key == "B") return std::to_string(r.input.batch);
  if (key == "H") return std::to_string(r.input.heads);
  if (key == "causal") return r.input.causal ? "causal" : "full";
  if (key == "dtype") return std::string(dtype_name(r.input.dtype));
  if (key == "seed") return std::to_string(r.input.seed);
  if (key == "device") return std::string(device_name(r.device));
  if (key == "shape")
    return fmt::format("N={} d={} B={} H={}{}", r.input.seq_len, r.input.head_dim, r.input.batch, r.input.heads,
                       r.input.causal ? " causal" : "");
  if (key == "status") return r.status;
  if (key == "case_id") return r.case_id;
  if (key.rfind("params.", 0) == 0) {
    const std::string name = key.substr(7);
    return r.params.contains(name) ? param_text(r.params[name]) : "";
  }
  check_record_key(key);  // throws for an unknown key
  return "";
}

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names = {
      "median_ms", "mean_ms", "min_ms", "max_ms", "stddev_ms", "cv", "setup_ms", "first_call_ms",
      "peak_mib", "peak_bytes", "estimated_mib", "rss_mib", "device_peak_mib",
      "gflops", "gflops_algorithmic", "flops", "flops_algorithmic",
      "rel_fro", "max_abs", "mean_cos", "min_cos", "own_rel_fro", "trivial_rel_fro", "noise_floor_rel_fro",
      "realized_rank", "realized_density", "repetitions"};
  return names;
}

void check_metric(const std::string& metric) {
  const auto& names = metric_names();
  if (std::find(names.begin(), names.end(), metric) == names.end())
    throw UsageError(fmt::format("--value: unknown metric '{}' (known: {})", metric, join(names, ", ")));
}

std::optional<double> record_metric(const CaseResult& r, const std::string& m) {
  if (r.status != "ok") return std::nullopt;
  const auto& t = r.time_ms;
  if (m == "median_ms") return t.median;
  if (m == "mean_ms") return t.mean;
  if (m == "min_ms") return t.min;
  if (m == "max_ms") return t.max;
  if (m == "stddev_ms") return t.stddev;
  if (m == "cv") return t.cv;
  if (m == "setup_ms") return r.setup_ms;
  if (m == "first_call_ms") return r.first_call_ms;
  if (m == "peak_mib") return mib(static_cast<double>(r.peak_workspace_bytes));
  if (m == "peak_bytes") return static_cast<double>(r.peak_workspace_bytes);
  if (m == "estimated_mib") return mib(r.estimated_workspace_bytes);
  if (m == "rss_mib") return r.peak_rss_bytes ? std::optional(mib(static_cast<double>(*r.peak_rss_bytes))) : std::nullopt;
  if (m == "device_peak_mib")
    return r.device_peak_bytes ? std::optional(mib(static_cast<double>(*r.device_peak_bytes))) : std::nullopt;
  if (m == "gflops") return r.gflops_per_s;
  if (m == "gflops_algorithmic") return r.gflops_algorithmic_per_s;
  if (m == "flops") return r.flops_dense;
  if (m == "flops_algorithmic") return r.flops_algorithmic;
  if (m == "rel_fro") return r.error ? std::optional(r.error->rel_fro) : std::nullopt;
  if (m == "max_abs") return r.error ? std::optional(r.error->max_abs) : std::nullopt;
  if (m == "mean_cos") return r.error ? std::optional(r.error->mean_cos) : std::nullopt;
  if (m == "min_cos") return r.error ? std::optional(r.error->min_cos) : std::nullopt;
  if (m == "own_rel_fro") return r.own_error ? std::optional(r.own_error->rel_fro) : std::nullopt;
  if (m == "trivial_rel_fro") return r.trivial_rel_fro;
  if (m == "noise_floor_rel_fro") return r.noise_floor_rel_fro;
  if (m == "realized_rank") return r.realized.rank ? std::optional(static_cast<double>(*r.realized.rank)) : std::nullopt;
  if (m == "realized_density") return r.realized.density;
  if (m == "repetitions") return static_cast<double>(r.repetitions);
  check_metric(m);
  return std::nullopt;
}

std::string shape_key_without_n(const CaseResult& r) {
  return fmt::format("{}|d={}|B={}|H={}|{}|{}|{}|t={:.17g}|{}", input_label(r), r.input.head_dim, r.input.batch,
                     r.input.heads, r.input.causal ? "causal" : "full", dtype_name(r.input.dtype),
                     device_name(r.device), r.input.temperature, r.input.group_key().substr(r.input.id_fragment().size()));
}

std::string shape_key(const CaseResult& r) { return fmt::format("N={}|{}", r.input.seq_len, shape_key_without_n(r)); }

}  // namespace attn
