// Small helpers the methods share to map the uniform budget knobs onto their own parameters.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "methods/method.hpp"

namespace attn {

inline bool is_explicit(const std::vector<std::string>& explicit_params, std::string_view name) {
  return std::find(explicit_params.begin(), explicit_params.end(), name) != explicit_params.end();
}

// Puts the budget's rank into parameter `name` unless the user set that parameter explicitly
// (an explicit parameter always wins). Returns the parameter's final value.
inline int64_t apply_rank(const Budget& budget, const std::vector<std::string>& explicit_params, ParamSet& params,
                          const std::string& name) {
  if (budget.rank && !is_explicit(explicit_params, name)) params.set(name, *budget.rank);
  return params.get_int(name);
}

// Density rho = 1 - sparsity of the budget.
inline double budget_density(const Budget& budget) { return 1.0 - budget.sparsity.value_or(0.0); }

inline int64_t round_to_int(double x) { return static_cast<int64_t>(std::llround(x)); }

// The per-head scale d^-1/4 that splits 1/sqrt(d) between queries and keys.
inline double quarter_root_scale(int64_t head_dim) { return std::pow(static_cast<double>(head_dim), -0.25); }

}  // namespace attn
