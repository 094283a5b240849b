#include "core/params.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace attn {

std::string_view param_type_name(ParamType t) {
  switch (t) {
    case ParamType::integer: return "integer";
    case ParamType::number: return "number";
    case ParamType::boolean: return "boolean";
    case ParamType::string: return "string";
  }
  return "?";
}

nlohmann::json param_value_to_json(const ParamValue& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

std::string param_value_to_string(const ParamValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  return fmt::format("{:g}", std::get<double>(v));
}

namespace {
// An integer parameter that declares no bound is held to +-2^24 (the longest sequence a spec may ask
// for): integer parameters count tokens, features, blocks or iterations, so a larger value is a
// typo (1e12) that would otherwise reach an allocation. A method that needs more declares its max.
constexpr double kUndeclaredIntegerBound = 1 << 24;

void check_range(const ParamSpec& spec, double x, std::string_view path) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const bool integer = spec.type == ParamType::integer;
  const double min = spec.min.value_or(integer ? -kUndeclaredIntegerBound : -kInf);
  const double max = spec.max.value_or(integer ? kUndeclaredIntegerBound : kInf);
  if (std::isfinite(x) && x >= min && x <= max) return;
  std::string allowed = "finite";
  if (min > -kInf && max < kInf) allowed = fmt::format("in [{}, {}]", min, max);
  else if (min > -kInf) allowed = fmt::format(">= {}", min);
  else if (max < kInf) allowed = fmt::format("<= {}", max);
  throw UsageError(fmt::format("{}: must be {} (got {})", path, allowed, x));
}
void check_choice(const ParamSpec& spec, const std::string& s, std::string_view path) {
  if (spec.choices.empty()) return;
  for (const auto& c : spec.choices)
    if (c == s) return;
  throw UsageError(fmt::format("{}: must be one of {} (got '{}')", path, fmt::join(spec.choices, ", "), s));
}
}  // namespace

ParamValue coerce_param(const ParamSpec& spec, const nlohmann::json& value, std::string_view path) {
  switch (spec.type) {
    case ParamType::integer: {
      if (value.is_number_integer()) {
        check_range(spec, value.get<double>(), path);  // as a double: an unsigned above INT64_MAX must not wrap
        return value.get<int64_t>();
      }
      if (value.is_number_float()) {
        const double x = value.get<double>();
        if (std::isfinite(x) && std::floor(x) == x && std::fabs(x) < 9e15) {
          check_range(spec, x, path);
          return static_cast<int64_t>(x);
        }
      }
      throw UsageError(fmt::format("{}: must be an integer (got {})", path, value.dump()));
    }
    case ParamType::number: {
      if (!value.is_number()) throw UsageError(fmt::format("{}: must be a number (got {})", path, value.dump()));
      const double x = value.get<double>();
      check_range(spec, x, path);
      return x;
    }
    case ParamType::boolean:
      if (!value.is_boolean()) throw UsageError(fmt::format("{}: must be true or false (got {})", path, value.dump()));
      return value.get<bool>();
    case ParamType::string: {
      if (!value.is_string()) throw UsageError(fmt::format("{}: must be a string (got {})", path, value.dump()));
      std::string s = value.get<std::string>();
      check_choice(spec, s, path);
      return s;
    }
  }
  throw UsageError(fmt::format("{}: unsupported parameter type", path));
}

ParamValue parse_param_text(const ParamSpec& spec, std::string_view text, std::string_view what) {
  nlohmann::json j;
  if (spec.type == ParamType::string) {
    j = std::string(text);
  } else {
    j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded())
      throw UsageError(fmt::format("{}: '{}' is not a valid {}", what, text, param_type_name(spec.type)));
  }
  return coerce_param(spec, j, what);
}

const ParamValue& ParamSet::at(std::string_view name) const {
  auto it = values_.find(name);
  ATTN_CHECK(it != values_.end(), fmt::format("parameter '{}' was never resolved", name));
  return it->second;
}

int64_t ParamSet::get_int(std::string_view name) const {
  const auto& v = at(name);
  ATTN_CHECK(std::holds_alternative<int64_t>(v), fmt::format("parameter '{}' is not an integer", name));
  return std::get<int64_t>(v);
}

double ParamSet::get_double(std::string_view name) const {
  const auto& v = at(name);
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  ATTN_CHECK(std::holds_alternative<double>(v), fmt::format("parameter '{}' is not a number", name));
  return std::get<double>(v);
}

bool ParamSet::get_bool(std::string_view name) const {
  const auto& v = at(name);
  ATTN_CHECK(std::holds_alternative<bool>(v), fmt::format("parameter '{}' is not a boolean", name));
  return std::get<bool>(v);
}

const std::string& ParamSet::get_string(std::string_view name) const {
  const auto& v = at(name);
  ATTN_CHECK(std::holds_alternative<std::string>(v), fmt::format("parameter '{}' is not a string", name));
  return std::get<std::string>(v);
}

nlohmann::json ParamSet::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : values_) j[k] = param_value_to_json(v);
  return j;
}

}  // namespace attn
