// The method registry: each method file holds one `static const MethodRegistration` that adds its
// MethodInfo at start-up (Google Benchmark's pattern). Lookups never switch over names.
#pragma once

#include <string_view>
#include <vector>

#include "methods/method.hpp"

namespace attn {

class MethodRegistry {
 public:
  static MethodRegistry& instance();
  void add(MethodInfo info);  // aborts on a duplicate or incomplete registration (a bug)
  const MethodInfo* find(std::string_view name) const;
  const std::vector<MethodInfo>& all() const { return methods_; }  // sorted by family, then name
  std::vector<std::string> names() const;

 private:
  std::vector<MethodInfo> methods_;
};

struct MethodRegistration {
  explicit MethodRegistration(MethodInfo info) { MethodRegistry::instance().add(std::move(info)); }
};

// Resolves parameters for one case: defaults, then the budget mapping, then the user's explicit
// values (already type-checked by the spec layer). Throws UsageError naming the parameter.
ParamSet resolve_params(const MethodInfo& info, const Budget& budget, const CaseShape& shape,
                        const std::vector<std::pair<std::string, ParamValue>>& explicit_params, Realized& realized);

}  // namespace attn
