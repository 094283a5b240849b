#include "methods/registry.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace attn {

nlohmann::json Method::diagnostics() const { return nlohmann::json::object(); }

std::string_view reference_kind_name(ReferenceKind k) {
  switch (k) {
    case ReferenceKind::softmax: return "softmax";
    case ReferenceKind::self: return "self";
    case ReferenceKind::both: return "both";
  }
  return "?";
}

MethodRegistry& MethodRegistry::instance() {
  static MethodRegistry registry;
  return registry;
}

void MethodRegistry::add(MethodInfo info) {
  ATTN_CHECK(!info.name.empty() && info.create && info.apply_budget && info.flops && info.workspace_bytes,
             fmt::format("method '{}' registered without name, create, apply_budget, flops or workspace_bytes", info.name));
  ATTN_CHECK(find(info.name) == nullptr, fmt::format("method '{}' registered twice", info.name));
  methods_.push_back(std::move(info));
  std::sort(methods_.begin(), methods_.end(), [](const MethodInfo& a, const MethodInfo& b) {
    return std::tie(a.family, a.name) < std::tie(b.family, b.name);
  });
}

const MethodInfo* MethodRegistry::find(std::string_view name) const {
  for (const auto& m : methods_)
    if (m.name == name) return &m;
  return nullptr;
}

std::vector<std::string> MethodRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& m : methods_) out.push_back(m.name);
  std::sort(out.begin(), out.end());
  return out;
}

ParamSet resolve_params(const MethodInfo& info, const Budget& budget, const CaseShape& shape,
                        const std::vector<std::pair<std::string, ParamValue>>& explicit_params, Realized& realized) {
  ParamSet params;
  for (const auto& p : info.params) params.set(p.name, p.default_value);
  std::vector<std::string> explicit_names;
  for (const auto& [name, value] : explicit_params) {
    ATTN_CHECK(params.has(name), fmt::format("unknown parameter '{}' reached resolve_params", name));
    params.set(name, value);
    explicit_names.push_back(name);
  }
  if (budget.rank && !info.uses_rank)
    throw UsageError(fmt::format("rank: method '{}' has no rank knob ({})", info.name, info.budget_doc));
  if (budget.sparsity && !info.uses_sparsity)
    throw UsageError(fmt::format("sparsity: method '{}' has no sparsity knob ({})", info.name, info.budget_doc));
  info.apply_budget(budget, shape, explicit_names, params, realized);
  return params;
}

}  // namespace attn
