// One entry of the spec's "methods" list: the method must be registered, the budget knobs must be
// ones it has, and every parameter is checked against the method's own ParamSpecs.
#include <fmt/format.h>

#include "core/error.hpp"
#include "methods/registry.hpp"
#include "spec/spec_detail.hpp"
#include "spec/spec_limits.hpp"

namespace attn::spec_detail {

namespace {

void check_knob(const json& entry, const MethodInfo& info, const std::string& path, const char* knob, bool has) {
  if (entry.contains(knob) && !has)
    throw UsageError(fmt::format("{}: method '{}' has no {} knob{}", join_path(path, knob), info.name, knob,
                                 info.budget_doc.empty() ? "" : fmt::format(" ({})", info.budget_doc)));
}

std::vector<std::pair<std::string, std::vector<ParamValue>>> parse_params(const json& params, const MethodInfo& info,
                                                                          const std::string& path) {
  if (!params.is_object()) throw UsageError(fmt::format("{}: must be an object (got {})", path, params.dump()));
  std::vector<std::pair<std::string, std::vector<ParamValue>>> out;
  for (const auto& [name, value] : params.items()) {  // nlohmann keeps keys sorted
    const std::string param_path = join_path(path, name);
    const ParamSpec* spec = nullptr;
    for (const auto& p : info.params)
      if (p.name == name) spec = &p;
    if (!spec) {
      std::vector<std::string> allowed;
      for (const auto& p : info.params) allowed.push_back(p.name);
      throw UsageError(fmt::format("{}: unknown parameter '{}' for method '{}' ({})", param_path, name, info.name,
                                   allowed.empty() ? std::string("it has no parameters")
                                                   : fmt::format("allowed: {}", fmt::join(allowed, ", "))));
    }
    std::vector<ParamValue> values;
    for (const auto& a : axis_values(value, param_path)) values.push_back(coerce_param(*spec, *a.value, a.path));
    out.emplace_back(name, std::move(values));
  }
  return out;
}

}  // namespace

MethodEntry parse_method(const json& entry, const std::string& path) {
  if (!entry.is_object()) throw UsageError(fmt::format("{}: must be an object (got {})", path, entry.dump()));
  check_keys(entry, path, {"name", "rank", "sparsity", "params"});
  if (!entry.contains("name")) throw UsageError(fmt::format("{}.name: required", path));
  const std::string name = get_string(entry["name"], path + ".name");
  const MethodRegistry& registry = MethodRegistry::instance();
  MethodEntry m;
  m.path = path;
  m.info = registry.find(name);
  if (!m.info)
    throw UsageError(fmt::format("{}.name: unknown method '{}' (known: {})", path, name, fmt::join(registry.names(), ", ")));
  check_knob(entry, *m.info, path, "rank", m.info->uses_rank);
  check_knob(entry, *m.info, path, "sparsity", m.info->uses_sparsity);

  if (entry.contains("rank")) {
    m.ranks.clear();
    for (const auto& a : axis_values(entry["rank"], path + ".rank")) m.ranks.emplace_back(get_int(*a.value, a.path, 1, spec_limits::kMaxRank));
  }
  if (entry.contains("sparsity")) {
    m.sparsities.clear();
    for (const auto& a : axis_values(entry["sparsity"], path + ".sparsity")) {
      const double s = get_number(*a.value, a.path);
      if (!(s >= 0.0 && s < 1.0)) throw UsageError(fmt::format("{}: must be in [0, 1) (got {})", a.path, a.value->dump()));
      m.sparsities.emplace_back(s);
    }
  }
  if (entry.contains("params")) m.params = parse_params(entry["params"], *m.info, path + ".params");
  return m;
}

}  // namespace attn::spec_detail
