// Spec entry points: the top-level keys, JSON syntax errors with line and column, and reading the
// file. Every error is one line: "<source>: <json path>: <reason>".
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json_depth.hpp"
#include "core/one_line.hpp"
#include "spec/spec.hpp"
#include "spec/spec_detail.hpp"
#include "spec/spec_limits.hpp"

namespace attn {

namespace {

using namespace spec_detail;

std::vector<Device> parse_devices(const json& j) {
  if (!j.contains("devices")) return {Device::cpu};
  const json& v = j["devices"];
  if (v.is_array() && v.empty()) throw UsageError("devices: must list at least one device");
  std::vector<Device> out;
  for (const auto& a : axis_values(v, "devices")) {
    const Device d = parse_device(get_string(*a.value, a.path), a.path);
    for (Device seen : out)
      if (seen == d) throw UsageError(fmt::format("{}: device '{}' listed twice", a.path, device_name(d)));
    out.push_back(d);
  }
  return out;
}

double get_limit(const json& j, const char* key, double fallback, double max, bool allow_zero) {
  if (!j.contains(key)) return fallback;
  return get_number_in(j[key], key, 0.0, max, /*min_exclusive=*/!allow_zero);
}

Spec parse_spec_body(const json& j) {
  if (!j.is_object()) throw UsageError(fmt::format("the spec must be a JSON object (got {})", j.type_name()));
  check_keys(j, "",
             {"name", "description", "devices", "inputs", "methods", "repetitions", "warmup", "timeout_s",
              "memory_budget_gib", "attn_metrics_max_n"});
  Spec spec;
  spec.raw = j;
  spec.sha256 = sha256_hex(j.dump());
  if (!j.contains("name")) throw UsageError("name: required");
  spec.name = get_string(j["name"], "name");
  if (spec.name.empty()) throw UsageError("name: must not be empty");
  if (j.contains("description")) get_string(j["description"], "description");
  spec.devices = parse_devices(j);
  if (j.contains("repetitions"))
    spec.repetitions = static_cast<int>(get_int(j["repetitions"], "repetitions", 1, spec_limits::kMaxRepetitions));
  if (j.contains("warmup")) spec.warmup = static_cast<int>(get_int(j["warmup"], "warmup", 0, spec_limits::kMaxWarmup));
  spec.timeout_s = get_limit(j, "timeout_s", spec.timeout_s, spec_limits::kMaxTimeoutS, /*allow_zero=*/false);
  spec.memory_budget_gib =
      get_limit(j, "memory_budget_gib", spec.memory_budget_gib, spec_limits::kMaxMemoryBudgetGiB, /*allow_zero=*/true);

  if (j.contains("attn_metrics_max_n"))
    spec.attn_metrics_max_n =
        get_int(j["attn_metrics_max_n"], "attn_metrics_max_n", 0, spec_limits::kMaxAttnMetricsN);

  if (!j.contains("inputs")) throw UsageError("inputs: required");
  const std::vector<InputSpec> inputs = parse_inputs(j["inputs"], spec.devices);

  if (!j.contains("methods")) throw UsageError("methods: required");
  const json& methods = j["methods"];
  if (!methods.is_array() || methods.empty())
    throw UsageError(fmt::format("methods: must be a non-empty list (got {})", methods.dump()));
  std::vector<MethodEntry> entries;
  for (size_t i = 0; i < methods.size(); ++i) entries.push_back(parse_method(methods[i], fmt::format("methods[{}]", i)));

  spec.cases = expand_cases(inputs, entries, spec.devices);
  return spec;
}

// nlohmann reports the byte offset of the error; users want a line and a column.
std::pair<size_t, size_t> line_column(std::string_view text, size_t byte) {
  const size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." -> "syntax error ...".
std::string parse_error_detail(const std::string& what) {
  const size_t column = what.find("column ");
  if (column != std::string::npos) {
    const size_t colon = what.find(": ", column);
    if (colon != std::string::npos) return what.substr(colon + 2);
  }
  const size_t bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

}  // namespace

Spec parse_spec(const nlohmann::json& j, const std::string& source) {
  try {
    return parse_spec_body(j);
  } catch (const UsageError& e) {
    throw UsageError(one_line(source.empty() ? std::string(e.what()) : fmt::format("{}: {}", source, e.what())));
  }
}

Spec parse_spec_text(std::string_view text, const std::string& source) {
  if (json_nesting_depth(text) > kMaxJsonDepth)
    throw UsageError(fmt::format("{}: JSON nested deeper than {} levels (a spec needs 4)", source, kMaxJsonDepth));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    const auto [line, column] = line_column(text, e.byte);
    throw UsageError(fmt::format("{}: invalid JSON at line {} column {}: {}", source, line, column, parse_error_detail(e.what())));
  } catch (const nlohmann::json::out_of_range& e) {  // a number too large for a double: 1e400
    throw UsageError(fmt::format("{}: invalid JSON: {}", source, parse_error_detail(e.what())));
  }
  return parse_spec(j, source);
}

Spec load_spec_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw UsageError(fmt::format("{}: cannot read ({})", path,
                                 std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"));
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (!in || in.bad()) throw UsageError(fmt::format("{}: cannot read", path));
  return parse_spec_text(buffer.str(), path);
}

}  // namespace attn
