// Typed access to spec JSON with the JSON path in every error. Specs are written by hand, so a
// wrong type says what it got ("must be an integer (got \"64\")") rather than nlohmann's
// type_error text.
#include <cmath>
#include <limits>
#include <fmt/format.h>

#include "core/error.hpp"
#include "spec/spec_detail.hpp"

namespace attn::spec_detail {

std::string join_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return fmt::format("{}.{}", path, key);
}

void check_keys(const json& obj, std::string_view path, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : obj.items()) {
    bool ok = false;
    for (std::string_view k : known) ok |= (k == key);
    if (!ok) throw UsageError(fmt::format("{}: unknown key (known keys: {})", join_path(path, key), fmt::join(known, ", ")));
  }
}

std::vector<AxisValue> axis_values(const json& v, const std::string& path) {
  std::vector<AxisValue> out;
  if (!v.is_array()) {
    out.push_back({&v, path});
    return out;
  }
  if (v.empty()) throw UsageError(fmt::format("{}: empty sweep", path));
  for (size_t i = 0; i < v.size(); ++i) out.push_back({&v[i], fmt::format("{}[{}]", path, i)});
  return out;
}

std::string range_text(double min, double max, bool min_exclusive) {
  // {} prints the shortest exact form: 16777216, 1000000, 0.5 (where {:g} would round 2^53 - 1).
  if (max >= static_cast<double>(std::numeric_limits<int64_t>::max())) return fmt::format(">= {}", min);
  return fmt::format("in {}{}, {}]", min_exclusive ? '(' : '[', min, max);
}

int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &out)) return std::numeric_limits<int64_t>::max();
  return out;
}

int64_t get_int(const json& v, const std::string& path, int64_t min, int64_t max) {
  const auto out_of_range = [&] {
    return UsageError(fmt::format("{}: must be {} (got {})", path,
                                  range_text(static_cast<double>(min), static_cast<double>(max)), v.dump()));
  };
  int64_t x = 0;
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
    throw out_of_range();
  } else if (v.is_number_integer()) {
    x = v.get<int64_t>();
  } else if (v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>()) {
    const double d = v.get<double>();  // 64.0 and 1e3 are integers; 64.5 is not
    if (std::fabs(d) >= 9e18) throw out_of_range();
    x = static_cast<int64_t>(d);
  } else {
    throw UsageError(fmt::format("{}: must be an integer (got {})", path, v.dump()));
  }
  if (x < min || x > max) throw out_of_range();
  return x;
}

double get_number(const json& v, const std::string& path) {
  if (!v.is_number()) throw UsageError(fmt::format("{}: must be a number (got {})", path, v.dump()));
  return v.get<double>();
}

double get_number_in(const json& v, const std::string& path, double min, double max, bool min_exclusive) {
  const double x = get_number(v, path);
  const bool above_min = min_exclusive ? x > min : x >= min;
  if (!std::isfinite(x) || !above_min || x > max)
    throw UsageError(fmt::format("{}: must be {} (got {})", path, range_text(min, max, min_exclusive), v.dump()));
  return x;
}

bool get_bool(const json& v, const std::string& path) {
  if (!v.is_boolean()) throw UsageError(fmt::format("{}: must be true or false (got {})", path, v.dump()));
  return v.get<bool>();
}

std::string get_string(const json& v, const std::string& path) {
  if (!v.is_string()) throw UsageError(fmt::format("{}: must be a string (got {})", path, v.dump()));
  return v.get<std::string>();
}

}  // namespace attn::spec_detail
