// Internals of the spec layer, shared by its .cpp files only (parse, inputs, methods, expand).
// Every function here throws UsageError with a message that starts with the JSON path; parse_spec
// adds the spec's source in front.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dtype.hpp"
#include "core/params.hpp"
#include "inputs/input_spec.hpp"
#include "methods/method.hpp"
#include "spec/spec.hpp"

namespace attn::spec_detail {

using nlohmann::json;

// "inputs" + "seq_len" -> "inputs.seq_len"; "" + "name" -> "name".
std::string join_path(std::string_view path, std::string_view key);

// Rejects keys of `obj` outside `known`, listing the known ones.
void check_keys(const json& obj, std::string_view path, std::initializer_list<std::string_view> known);

// One value of a sweep axis and the JSON path it came from.
struct AxisValue {
  const json* value;
  std::string path;
};
// A scalar is a one-value axis; a list is an axis of its elements ("path[i]"); an empty list is an error.
std::vector<AxisValue> axis_values(const json& v, const std::string& path);

int64_t get_int(const json& v, const std::string& path, int64_t min);
double get_number(const json& v, const std::string& path);
bool get_bool(const json& v, const std::string& path);
std::string get_string(const json& v, const std::string& path);

// The input combinations of `inputs`, in product order, without duplicates (parameters of other
// distributions do not multiply a distribution's cases).
std::vector<InputSpec> parse_inputs(const json& inputs, const std::vector<Device>& devices);

// One entry of "methods", with its sweep axes type-checked.
struct MethodEntry {
  std::string path;  // "methods[2]"
  const MethodInfo* info = nullptr;
  std::vector<std::optional<int64_t>> ranks = {std::nullopt};
  std::vector<std::optional<double>> sparsities = {std::nullopt};
  std::vector<std::pair<std::string, std::vector<ParamValue>>> params;  // sorted by name
};
MethodEntry parse_method(const json& entry, const std::string& path);

// The product: inputs x methods x (rank, sparsity, params) x devices, ids checked for uniqueness.
std::vector<Case> expand_cases(const std::vector<InputSpec>& inputs, const std::vector<MethodEntry>& methods,
                               const std::vector<Device>& devices);

}  // namespace attn::spec_detail
