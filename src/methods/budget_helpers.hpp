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

// A parameter that counts tokens (landmarks, samples, projected length) cannot exceed N at this
// shape: the case is then skipped (UnsupportedError), not the spec rejected.
inline void require_within_seq_len(const std::string& name, int64_t value, int64_t seq_len) {
  if (value > seq_len)
    throw UnsupportedError(name + " " + std::to_string(value) + " exceeds seq_len " + std::to_string(seq_len));
}

// apply_rank for a token-count parameter, checked against N.
inline int64_t apply_rank_within_seq_len(const Budget& budget, const std::vector<std::string>& explicit_params,
                                         ParamSet& params, const std::string& name, int64_t seq_len) {
  const int64_t value = apply_rank(budget, explicit_params, params, name);
  require_within_seq_len(name, value, seq_len);
  return value;
}

// Density rho = 1 - sparsity of the budget.
inline double budget_density(const Budget& budget) { return 1.0 - budget.sparsity.value_or(0.0); }

inline int64_t round_to_int(double x) { return static_cast<int64_t>(std::llround(x)); }

// The per-head scale d^-1/4 that splits 1/sqrt(d) between queries and keys.
inline double quarter_root_scale(int64_t head_dim) { return std::pow(static_cast<double>(head_dim), -0.25); }

}  // namespace attn
