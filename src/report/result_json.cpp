// The report's JSON form (DESIGN.md §7, docs/report-schema.md). Writing and reading live side by
// side so every field is visibly written once and read once; a round trip reproduces the JSON exactly.
//
// Conventions: a number that is not finite is written as null (JSON has no NaN) and read back as
// NaN where the field is a plain double; an unset optional is null; `error` is always an object, with
// null values when the case did not produce an output.
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build_info.hpp"
#include "core/error.hpp"
#include "report/input_json.hpp"
#include "report/result.hpp"

namespace attn {
namespace {

using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::string_view kSchemaPrefix = "attnbench.report/";
constexpr int kSchemaMajor = 1;
constexpr std::string_view kStatuses[] = {"ok", "unsupported", "skipped", "oom", "timeout", "crash", "nonfinite", "error"};

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
template <typename T>
json optional(const std::optional<T>& v) {
  if (!v) return nullptr;
  if constexpr (std::is_floating_point_v<T>) return number(*v);
  return *v;
}
json field_of(const std::optional<ErrorMetrics>& e, double ErrorMetrics::*f) { return e ? number((*e).*f) : json(nullptr); }

// Field access with messages that name the path ("memory.peak_rss_bytes: expected an integer").
class Fields {
 public:
  Fields(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) throw UsageError(fmt::format("{}: expected an object", path_.empty() ? "record" : path_));
  }
  Fields sub(const char* key) const {
    static const json kEmpty = json::object();
    const json* v = get(key);
    return Fields(v ? *v : kEmpty, name(key));
  }
  const json* get(const char* key) const { return j_.contains(key) && !j_[key].is_null() ? &j_[key] : nullptr; }
  const json& require(const char* key) const {
    if (const json* v = get(key)) return *v;
    throw UsageError(fmt::format("{}: missing", name(key)));
  }
  std::string string(const char* key, bool required, std::string fallback = {}) const {
    const json* v = required ? &require(key) : get(key);
    if (!v) return fallback;
    if (!v->is_string()) throw UsageError(fmt::format("{}: expected a string", name(key)));
    return v->get<std::string>();
  }
  std::optional<std::string> opt_string(const char* key) const {
    if (!get(key)) return std::nullopt;
    return string(key, true);
  }
  // A plain double: null (written for a non-finite value) reads back as NaN, absent as `fallback`.
  double real(const char* key, double fallback = 0) const {
    if (!j_.contains(key)) return fallback;
    return opt_real(key).value_or(kNaN);
  }
  std::optional<double> opt_real(const char* key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) throw UsageError(fmt::format("{}: expected a number", name(key)));
    return v->get<double>();
  }
  std::optional<int64_t> opt_int(const char* key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) throw UsageError(fmt::format("{}: expected an integer", name(key)));
    return v->get<int64_t>();
  }
  int64_t integer(const char* key, int64_t fallback = 0) const { return opt_int(key).value_or(fallback); }
  json object(const char* key) const {
    const json* v = get(key);
    if (!v) return json::object();
    if (!v->is_object()) throw UsageError(fmt::format("{}: expected an object", name(key)));
    return *v;
  }
  std::string name(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  const json& j_;
  std::string path_;
};

// One ErrorMetrics from the flat `error` object; `prefix` is "" or "own_". Present exactly when its
// `nonfinite` count is, because every measured comparison writes that count (0 when all finite).
std::optional<ErrorMetrics> read_metrics(const Fields& e, const std::string& prefix) {
  const auto key = [&](const char* k) { return prefix + k; };
  const auto count = e.opt_int(key("nonfinite").c_str());
  if (!count) return std::nullopt;
  ErrorMetrics m;
  m.nonfinite = *count;
  m.rel_fro = e.opt_real(key("rel_fro").c_str()).value_or(kNaN);
  m.max_abs = e.opt_real(key("max_abs").c_str()).value_or(kNaN);
  m.mean_cos = e.opt_real(key("mean_cos").c_str()).value_or(kNaN);
  m.min_cos = e.opt_real(key("min_cos").c_str()).value_or(kNaN);
  m.scale_inv_rel_fro = e.opt_real(key("scale_inv_rel_fro").c_str()).value_or(kNaN);
  return m;
}

// "attnbench.report/1" or "attnbench.report/1.2" -> 1; anything else -> nullopt.
std::optional<int> schema_major(const std::string& schema) {
  if (schema.compare(0, kSchemaPrefix.size(), kSchemaPrefix) != 0) return std::nullopt;
  const std::string rest = schema.substr(kSchemaPrefix.size());
  const std::string major = rest.substr(0, rest.find('.'));
  if (major.empty() || major.size() > 6 || major.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoi(major);
}

}  // namespace

json to_json(const CaseResult& r) {
  json j;
  j["case_id"] = r.case_id;
  j["method"] = r.method;
  j["family"] = r.family;
  j["params"] = r.params;
  j["budget"] = {{"rank", optional(r.budget.rank)},
                 {"sparsity", optional(r.budget.sparsity)},
                 {"realized_rank", optional(r.realized.rank)},
                 {"realized_density", optional(r.realized.density)}};
  j["input"] = r.input.to_json();
  j["device"] = std::string(device_name(r.device));
  j["status"] = r.status;
  j["reason"] = optional(r.reason);
  j["time_ms"] = to_json(r.time_ms);
  j["setup_ms"] = number(r.setup_ms);
  j["first_call_ms"] = number(r.first_call_ms);
  j["repetitions"] = r.repetitions;
  j["warmup"] = r.warmup;
  j["timer"] = r.timer;
  j["cold_l2"] = r.cold_l2;
  j["gpu_clocks"] = r.gpu_clocks ? json{{"sm_mhz_start", r.gpu_clocks->sm_mhz_start},
                                        {"sm_mhz_end", r.gpu_clocks->sm_mhz_end},
                                        {"throttle_reasons", r.gpu_clocks->throttle_reasons}}
                                 : json(nullptr);
  j["memory"] = {{"peak_workspace_bytes", r.peak_workspace_bytes},
                 {"estimated_workspace_bytes", number(r.estimated_workspace_bytes)},
                 {"peak_rss_bytes", optional(r.peak_rss_bytes)},
                 {"device_peak_bytes", optional(r.device_peak_bytes)},
                 {"device_used_bytes", optional(r.device_used_bytes)}};
  j["flops"] = {{"dense", number(r.flops_dense)}, {"algorithmic", number(r.flops_algorithmic)}};
  j["gflops_per_s"] = number(r.gflops_per_s);
  j["gflops_algorithmic_per_s"] = number(r.gflops_algorithmic_per_s);
  const auto& e = r.error;
  const auto& o = r.own_error;
  j["error"] = {
      {"reference", r.reference},
      {"rel_fro", field_of(e, &ErrorMetrics::rel_fro)},
      {"max_abs", field_of(e, &ErrorMetrics::max_abs)},
      {"mean_cos", field_of(e, &ErrorMetrics::mean_cos)},
      {"min_cos", field_of(e, &ErrorMetrics::min_cos)},
      {"scale_inv_rel_fro", field_of(e, &ErrorMetrics::scale_inv_rel_fro)},
      {"nonfinite", e ? json(e->nonfinite) : json(nullptr)},
      {"own_rel_fro", field_of(o, &ErrorMetrics::rel_fro)},
      {"own_max_abs", field_of(o, &ErrorMetrics::max_abs)},
      {"own_mean_cos", field_of(o, &ErrorMetrics::mean_cos)},
      {"own_min_cos", field_of(o, &ErrorMetrics::min_cos)},
      {"own_scale_inv_rel_fro", field_of(o, &ErrorMetrics::scale_inv_rel_fro)},
      {"own_nonfinite", o ? json(o->nonfinite) : json(nullptr)},
      {"trivial_rel_fro", optional(r.trivial_rel_fro)},
      {"noise_floor_rel_fro", optional(r.noise_floor_rel_fro)},
      // Attention-matrix errors (DESIGN.md §5): null unless the matrix was probed.
      {"attn_rel_fro", r.attention ? json(number(r.attention->rel_fro)) : json(nullptr)},
      {"attn_rel_spec", r.attention ? json(number(r.attention->rel_spec)) : json(nullptr)},
      {"attn_row_sum_dev", r.attention ? json(number(r.attention->row_sum_dev)) : json(nullptr)},
      {"attn_row_kl", r.attention && r.attention->row_kl ? json(number(*r.attention->row_kl)) : json(nullptr)},
      {"attn_negative_entries", r.attention ? json(r.attention->negative_entries) : json(nullptr)},
      {"oracle_rel_fro", optional(r.oracle_rel_fro)},
      {"oracle_kind", r.oracle_kind.empty() ? json(nullptr) : json(r.oracle_kind)},
  };
  j["diagnostics"] = r.diagnostics;
  if (!r.spec_sha256.empty()) j["spec_sha256"] = r.spec_sha256;
  return j;
}

CaseResult case_result_from_json(const json& j) {
  const Fields f(j, "");
  CaseResult r;
  r.case_id = f.string("case_id", true);
  r.method = f.string("method", true);
  r.family = f.string("family", false);
  r.params = f.object("params");

  const Fields b = f.sub("budget");
  r.budget.rank = b.opt_int("rank");
  r.budget.sparsity = b.opt_real("sparsity");
  r.realized.rank = b.opt_int("realized_rank");
  r.realized.density = b.opt_real("realized_density");

  r.input = input_spec_from_json(f.require("input"));
  r.device = parse_device(f.string("device", true), "device");
  r.status = f.string("status", true);
  bool known = false;
  for (auto s : kStatuses) known = known || r.status == s;
  if (!known) throw UsageError(fmt::format("status: unknown status '{}'", r.status));
  r.reason = f.opt_string("reason");

  if (const json* t = f.get("time_ms")) r.time_ms = timing_from_json(*t);
  r.setup_ms = f.real("setup_ms");
  r.first_call_ms = f.real("first_call_ms");
  r.repetitions = static_cast<int>(f.integer("repetitions"));
  r.warmup = static_cast<int>(f.integer("warmup"));
  r.timer = f.string("timer", false, r.timer);
  if (const json* cold = f.get("cold_l2")) {
    if (!cold->is_boolean()) throw UsageError("cold_l2: expected true or false");
    r.cold_l2 = cold->get<bool>();
  }
  if (f.get("gpu_clocks")) {
    const Fields g = f.sub("gpu_clocks");
    GpuClockRecord c;
    c.sm_mhz_start = static_cast<int>(g.integer("sm_mhz_start"));
    c.sm_mhz_end = static_cast<int>(g.integer("sm_mhz_end"));
    if (const json* reasons = g.get("throttle_reasons")) {
      if (!reasons->is_array()) throw UsageError("gpu_clocks.throttle_reasons: expected an array of strings");
      for (const auto& x : *reasons) {
        if (!x.is_string()) throw UsageError("gpu_clocks.throttle_reasons: expected an array of strings");
        c.throttle_reasons.push_back(x.get<std::string>());
      }
    }
    r.gpu_clocks = c;
  }

  const Fields m = f.sub("memory");
  r.peak_workspace_bytes = m.integer("peak_workspace_bytes");
  r.estimated_workspace_bytes = m.real("estimated_workspace_bytes");
  r.peak_rss_bytes = m.opt_int("peak_rss_bytes");
  r.device_peak_bytes = m.opt_int("device_peak_bytes");
  r.device_used_bytes = m.opt_int("device_used_bytes");

  const Fields fl = f.sub("flops");
  r.flops_dense = fl.real("dense");
  r.flops_algorithmic = fl.real("algorithmic");
  r.gflops_per_s = f.real("gflops_per_s");
  r.gflops_algorithmic_per_s = f.real("gflops_algorithmic_per_s");

  const Fields e = f.sub("error");
  r.reference = e.string("reference", false, r.reference);
  r.error = read_metrics(e, "");
  r.own_error = read_metrics(e, "own_");
  r.trivial_rel_fro = e.opt_real("trivial_rel_fro");
  r.noise_floor_rel_fro = e.opt_real("noise_floor_rel_fro");
  if (const auto attn = e.opt_real("attn_rel_fro")) {
    AttentionMatrixMetrics a;
    a.rel_fro = *attn;
    a.rel_spec = e.opt_real("attn_rel_spec").value_or(0);
    a.row_sum_dev = e.opt_real("attn_row_sum_dev").value_or(0);
    a.row_kl = e.opt_real("attn_row_kl");
    a.negative_entries = e.opt_int("attn_negative_entries").value_or(0);
    r.attention = a;
  }
  r.oracle_rel_fro = e.opt_real("oracle_rel_fro");
  r.oracle_kind = e.opt_string("oracle_kind").value_or("");
  r.diagnostics = f.object("diagnostics");
  r.spec_sha256 = f.string("spec_sha256", false);
  return r;
}

json to_json(const Report& r) {
  json spec = r.spec.is_object() ? r.spec : json::object();
  spec["sha256"] = r.spec_sha256;
  json results = json::array();
  for (const auto& c : r.results) results.push_back(to_json(c));
  // A report read back keeps the context it was written with (context_json), so merging or
  // rewriting never replaces one machine's facts with another's; a fresh report writes `context`.
  const bool read_back = r.context_json.is_object() && !r.context_json.empty();
  return {
      {"schema", kReportSchema},
      {"tool",
       {{"name", "attnbench"},
        {"version", r.tool_version.empty() ? std::string(build::kVersion) : r.tool_version},
        {"git_commit", r.git_commit.empty() ? std::string(build::kGitCommit) : r.git_commit}}},
      {"context", read_back ? r.context_json : to_json(r.context)},
      {"spec", spec},
      {"interrupted", r.interrupted},
      {"results", results},
  };
}

Report report_from_json(const json& j, const std::string& source) {
  if (!j.is_object() || !j.contains("schema"))
    throw UsageError(fmt::format("{}: not an attnbench report (no \"schema\" field)", source));
  if (!j["schema"].is_string())
    throw UsageError(fmt::format("{}: not an attnbench report (\"schema\" is not a string)", source));
  const std::string schema = j["schema"].get<std::string>();
  const auto major = schema_major(schema);
  if (!major) throw UsageError(fmt::format("{}: not an attnbench report (schema '{}')", source, schema));
  if (*major != kSchemaMajor)
    throw UsageError(fmt::format("{}: report schema '{}' is not supported (this attnbench reads {}{}.x)", source,
                                 schema, kSchemaPrefix, kSchemaMajor));
  Report r;
  try {
    const Fields f(j, "");
    const Fields tool = f.sub("tool");
    r.tool_version = tool.string("version", false);
    r.git_commit = tool.string("git_commit", false);
    r.context_json = f.object("context");
    r.context = system_info_from_json(r.context_json);
    r.spec = f.object("spec");
    if (const json* sha = r.spec.contains("sha256") ? &r.spec["sha256"] : nullptr) {
      if (!sha->is_string()) throw UsageError("spec.sha256: expected a string");
      r.spec_sha256 = sha->get<std::string>();
      r.spec.erase("sha256");
    }
    if (const json* v = f.get("interrupted")) {
      if (!v->is_boolean()) throw UsageError("interrupted: expected true or false");
      r.interrupted = v->get<bool>();
    }
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", source, e.what()));
  }
  const json* results = j.contains("results") ? &j["results"] : nullptr;
  if (!results || !results->is_array()) throw UsageError(fmt::format("{}: results: expected an array", source));
  for (std::size_t i = 0; i < results->size(); ++i) {
    if (!(*results)[i].is_object()) throw UsageError(fmt::format("{}: results[{}]: expected an object", source, i));
    try {
      r.results.push_back(case_result_from_json((*results)[i]));
    } catch (const UsageError& e) {
      throw UsageError(fmt::format("{}: results[{}].{}", source, i, e.what()));
    }
  }
  return r;
}

}  // namespace attn
