#include "runner/shard.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "core/error.hpp"
#include "runner/cost_estimate.hpp"
#include "spec/spec.hpp"

namespace attn {

namespace {

// A whole non-negative decimal integer below 2^31, or nullopt.
std::optional<int> parse_count(std::string_view s) {
  int x = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || x < 0) return std::nullopt;
  return x;
}

std::optional<int> env_int(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  const auto x = parse_count(v);
  if (!x) throw UsageError(fmt::format("{}: expected a non-negative integer (got '{}')", name, v));
  return x;
}

// Repetition counts do not change the split's quality much, and using fixed ones keeps the split
// independent of --repetitions, so shards run with different overrides still partition the spec.
constexpr int kCostRepetitions = 10;
constexpr int kCostWarmup = 1;

}  // namespace

std::string Shard::label() const { return fmt::format("{}/{}", index, count); }

Shard parse_shard(const std::string& text, const std::string& what) {
  const auto slash = text.find('/');
  const auto i = slash == std::string::npos ? std::nullopt : parse_count(std::string_view(text).substr(0, slash));
  const auto n = slash == std::string::npos ? std::nullopt : parse_count(std::string_view(text).substr(slash + 1));
  if (!i || !n) throw UsageError(fmt::format("{}: expected I/N, e.g. 0/4 (got '{}')", what, text));
  if (*n < 1) throw UsageError(fmt::format("{}: the shard count must be >= 1 (got '{}')", what, text));
  if (*i >= *n) throw UsageError(fmt::format("{}: the shard index is 0-based and must be < {} (got '{}')", what, *n, text));
  return {*i, *n};
}

std::optional<Shard> shard_from_environment() {
  const auto id = env_int("SLURM_ARRAY_TASK_ID");
  const auto count = env_int("SLURM_ARRAY_TASK_COUNT");
  if (!id || !count) return std::nullopt;
  const int min = env_int("SLURM_ARRAY_TASK_MIN").value_or(0);
  const int index = *id - min;
  if (*count < 1 || index < 0 || index >= *count)
    throw UsageError(fmt::format(
        "SLURM_ARRAY_TASK_ID={} (min {}) is outside 0..SLURM_ARRAY_TASK_COUNT-1={}: submit the array as "
        "--array=0-{} (or pass --shard I/N)",
        *id, min, *count - 1, *count - 1));
  return Shard{index, *count};
}

std::vector<int> assign_shards(const std::vector<double>& costs, int count) {
  std::vector<size_t> order(costs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return costs[a] > costs[b]; });
  std::vector<double> load(static_cast<size_t>(count), 0.0);
  std::vector<int> out(costs.size(), 0);
  for (size_t u : order) {
    const auto lightest = std::min_element(load.begin(), load.end()) - load.begin();  // first minimum
    out[u] = static_cast<int>(lightest);
    load[static_cast<size_t>(lightest)] += costs[u];
  }
  return out;
}

std::vector<const Case*> shard_cases(const std::vector<const Case*>& cases, const Shard& shard) {
  if (shard.count == 1) return cases;
  // Units: input groups in order of first appearance, or single cases when groups are too few.
  std::vector<std::string> group_order;
  std::map<std::string, size_t> group_of;
  for (const Case* c : cases) {
    const auto key = c->input.group_key();
    if (group_of.emplace(key, group_order.size()).second) group_order.push_back(key);
  }
  const bool by_group = group_order.size() >= static_cast<size_t>(shard.count);
  std::vector<double> costs(by_group ? group_order.size() : cases.size(), 0.0);
  std::vector<size_t> unit_of(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    unit_of[i] = by_group ? group_of[cases[i]->input.group_key()] : i;
    costs[unit_of[i]] += estimate_case_seconds(*cases[i], kCostRepetitions, kCostWarmup);
  }
  if (by_group)
    for (size_t g = 0; g < group_order.size(); ++g) {
      // The first case of the group names its input; the reference is paid once per unit.
      for (size_t i = 0; i < cases.size(); ++i)
        if (unit_of[i] == g) {
          costs[g] += estimate_reference_seconds(cases[i]->input);
          break;
        }
    }
  const auto owner = assign_shards(costs, shard.count);
  std::vector<const Case*> out;
  for (size_t i = 0; i < cases.size(); ++i)
    if (owner[unit_of[i]] == shard.index) out.push_back(cases[i]);
  return out;
}

}  // namespace attn
