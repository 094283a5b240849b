// Sweep expansion: inputs x methods x (rank, sparsity, params) x devices, in that nesting order.
// Parameters are resolved here, once per case, so `validate` sees the same cases and parameters
// the runner will run, and a budget a method cannot honour at some shape becomes a skipped case
// instead of failing the whole spec.
#include <algorithm>
#include <cctype>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "methods/registry.hpp"
#include "spec/spec_detail.hpp"
#include "spec/spec_limits.hpp"

namespace attn::spec_detail {

namespace {

using ExplicitParams = std::vector<std::pair<std::string, ParamValue>>;

// Product of the parameter axes (names sorted, last name fastest).
std::vector<ExplicitParams> param_combinations(const MethodEntry& m) {
  std::vector<ExplicitParams> out;
  std::vector<size_t> at(m.params.size(), 0);
  while (true) {
    ExplicitParams combo;
    for (size_t i = 0; i < m.params.size(); ++i) combo.emplace_back(m.params[i].first, m.params[i].second[at[i]]);
    out.push_back(std::move(combo));
    size_t i = m.params.size();
    while (i > 0 && ++at[i - 1] == m.params[i - 1].second.size()) at[--i] = 0;
    if (i == 0) break;
  }
  return out;
}

// "rank: too large" from resolve_params becomes "methods[2].rank: too large"; a message that does
// not start with a path gets "methods[2]: " in front.
std::string prefix_path(const std::string& path, const std::string& message) {
  const size_t colon = message.find(':');
  bool is_path = colon != std::string::npos && colon > 0;
  for (size_t i = 0; is_path && i < colon; ++i) {
    const char c = message[i];
    is_path = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '[' || c == ']' || c == '-';
  }
  if (!is_path) return fmt::format("{}: {}", path, message);
  return message[0] == '[' ? path + message : fmt::format("{}.{}", path, message);
}

// Defaults overlaid with the explicit values: what a skipped case reports (the runner still asks the
// method for FLOP and workspace estimates, which need every parameter).
ParamSet unresolved_params(const MethodInfo& info, const ExplicitParams& explicit_params) {
  ParamSet params;
  for (const auto& p : info.params) params.set(p.name, p.default_value);
  for (const auto& [name, value] : explicit_params) params.set(name, value);
  return params;
}

// "{method}[/rank=R][/sparsity=S][/{param}={value}...]": the id's method part (input and device follow).
std::string method_id(const MethodInfo& info, const Budget& budget, const ExplicitParams& explicit_params) {
  std::string id = info.name;
  if (budget.rank) id += fmt::format("/rank={}", *budget.rank);
  if (budget.sparsity) id += fmt::format("/sparsity={:g}", *budget.sparsity);
  for (const auto& [name, value] : explicit_params) id += fmt::format("/{}={}", name, param_value_to_string(value));
  return id;
}

}  // namespace

std::vector<Case> expand_cases(const std::vector<InputSpec>& inputs, const std::vector<MethodEntry>& methods,
                               const std::vector<Device>& devices) {
  // Counted before anything is built: a few long lists multiply to more cases than memory holds.
  int64_t per_input = 0;  // method settings (rank x sparsity x parameter values, summed over entries)
  for (const MethodEntry& m : methods) {
    int64_t n = saturating_mul(static_cast<int64_t>(m.ranks.size()), static_cast<int64_t>(m.sparsities.size()));
    for (const auto& [name, values] : m.params) n = saturating_mul(n, static_cast<int64_t>(values.size()));
    per_input = n > std::numeric_limits<int64_t>::max() - per_input ? std::numeric_limits<int64_t>::max() : per_input + n;
  }
  const int64_t total = saturating_mul(saturating_mul(static_cast<int64_t>(inputs.size()), per_input),
                                       static_cast<int64_t>(devices.size()));
  if (total > spec_limits::kMaxCases)
    throw UsageError(fmt::format("the spec expands to {} cases ({} inputs x {} method settings x {} devices), above the "
                                 "limit of {}; split it or shorten its sweeps",
                                 total, inputs.size(), per_input, devices.size(), spec_limits::kMaxCases));
  std::vector<Case> cases;
  std::map<std::string, std::string> produced_by;  // case id -> method path, to report duplicates
  for (const InputSpec& input : inputs) {
    const CaseShape shape{input.batch, input.heads, input.seq_len, input.head_dim, input.causal};
    for (const MethodEntry& m : methods) {
      const std::vector<ExplicitParams> combos = param_combinations(m);
      for (const auto& rank : m.ranks)
        for (const auto& sparsity : m.sparsities)
          for (const ExplicitParams& explicit_params : combos) {
            const Budget budget{rank, sparsity};
            Realized realized;
            ParamSet params;
            std::optional<std::string> skip_reason;
            try {
              params = resolve_params(*m.info, budget, shape, explicit_params, realized);
            } catch (const UsageError& e) {
              throw UsageError(fmt::format("{} (at {})", prefix_path(m.path, e.what()), input.id_fragment()));
            } catch (const CaseError& e) {
              skip_reason = e.what();
              params = unresolved_params(*m.info, explicit_params);
              realized = Realized{};
            }
            const std::string stem = method_id(*m.info, budget, explicit_params) + "/" + input.id_fragment();
            for (Device device : devices) {
              Case c;
              c.id = fmt::format("{}/{}", stem, device_name(device));
              c.index = static_cast<int64_t>(cases.size());
              c.method = m.info->name;
              c.info = m.info;
              c.budget = budget;
              c.explicit_params = explicit_params;
              c.params = params;
              c.realized = realized;
              c.input = input;
              c.device = device;
              c.skip_reason = skip_reason;
              if (!c.skip_reason && device == Device::cpu && input.dtype != DType::f32)
                c.skip_reason = fmt::format("the cpu backend runs fp32 only (inputs.dtype is {})", dtype_name(input.dtype));
              const auto [it, inserted] = produced_by.emplace(c.id, m.path);
              if (!inserted)
                throw UsageError(fmt::format("{}: duplicate case id '{}' (also produced by {})", m.path, c.id, it->second));
              cases.push_back(std::move(c));
            }
          }
    }
  }
  return cases;
}

}  // namespace attn::spec_detail
