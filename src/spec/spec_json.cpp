// Typed access to spec JSON with the JSON path in every error. Specs are written by hand, so a
// wrong type says what it got ("must be an integer (got \"64\")") rather than nlohmann's
// type_error text.
#include <cmath>
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

int64_t get_int(const json& v, const std::string& path, int64_t min) {
  int64_t x = 0;
  if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))) {
    x = v.get<int64_t>();
  } else if (v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>() &&
             std::fabs(v.get<double>()) < 9e15) {
    x = static_cast<int64_t>(v.get<double>());  // 64.0 is an integer; 64.5 is not
  } else {
    throw UsageError(fmt::format("{}: must be an integer (got {})", path, v.dump()));
  }
  if (x < min) throw UsageError(fmt::format("{}: must be >= {} (got {})", path, min, x));
  return x;
}

double get_number(const json& v, const std::string& path) {
  if (!v.is_number()) throw UsageError(fmt::format("{}: must be a number (got {})", path, v.dump()));
  return v.get<double>();
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
