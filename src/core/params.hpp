// Typed method parameters: a method declares ParamSpecs (name, type, default, range, doc); a spec or
// the CLI supplies values that are checked against them with the JSON path in every error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace attn {

enum class ParamType { integer, number, boolean, string };

using ParamValue = std::variant<int64_t, double, bool, std::string>;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::integer;
  ParamValue default_value;
  std::optional<double> min;           // inclusive; an integer without one is held to >= -2^24
  std::optional<double> max;           // inclusive; an integer without one is held to <= 2^24
  std::vector<std::string> choices;    // for strings: the allowed values (empty = any)
  std::string doc;
};

std::string_view param_type_name(ParamType t);
nlohmann::json param_value_to_json(const ParamValue& v);
std::string param_value_to_string(const ParamValue& v);

// Checks `value` (JSON) against `spec`; `path` prefixes every error (e.g. "methods[2].params.chunk").
// Integers are accepted where numbers are expected; a number is never truncated; numbers must be finite.
ParamValue coerce_param(const ParamSpec& spec, const nlohmann::json& value, std::string_view path);
// Parses "key=value" text from the CLI (--set) into a value of the spec's type.
ParamValue parse_param_text(const ParamSpec& spec, std::string_view text, std::string_view what);

// Resolved parameters of one case: every declared parameter has a value.
class ParamSet {
 public:
  void set(const std::string& name, ParamValue v) { values_[name] = std::move(v); }
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  int64_t get_int(std::string_view name) const;
  double get_double(std::string_view name) const;  // integers convert
  bool get_bool(std::string_view name) const;
  const std::string& get_string(std::string_view name) const;
  const std::map<std::string, ParamValue, std::less<>>& values() const { return values_; }
  nlohmann::json to_json() const;

 private:
  const ParamValue& at(std::string_view name) const;
  std::map<std::string, ParamValue, std::less<>> values_;
};

}  // namespace attn
