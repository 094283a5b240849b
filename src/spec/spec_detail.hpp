// Internals of the spec layer, shared by its .cpp files only (parse, inputs, methods, expand).
// Every function here throws UsageError with a message that starts with the JSON path; parse_spec
// adds the spec's source in front.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dtype.hpp"
#include "core/params.hpp"
#include "inputs/input_spec.hpp"
#include "inputs/real_inputs.hpp"
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

// An integer in [min, max]; the error names the path and the range ("must be in [1, 4096] (got 1e+12)").
// Integral floats (64.0, 1e3) count as integers; 64.5 does not.
int64_t get_int(const json& v, const std::string& path, int64_t min,
                int64_t max = std::numeric_limits<int64_t>::max());
double get_number(const json& v, const std::string& path);
// A finite number in [min, max], or (min, max] when min_exclusive.
double get_number_in(const json& v, const std::string& path, double min, double max, bool min_exclusive = false);
// "in [1, 4096]", "in (0, 1e+06]" or ">= 0" (max at the type's limit): the allowed range in messages.
std::string range_text(double min, double max, bool min_exclusive = false);
// a * b, saturating at INT64_MAX (counts of combinations, compared against the limits).
int64_t saturating_mul(int64_t a, int64_t b);
bool get_bool(const json& v, const std::string& path);
std::string get_string(const json& v, const std::string& path);

// The input combinations of `inputs`, in product order, without duplicates (parameters of other
// distributions do not multiply a distribution's cases).
std::vector<InputSpec> parse_inputs(const json& inputs, const std::vector<Device>& devices);

// Distribution "real" (spec_inputs_real.cpp). inputs.source (required), inputs.layers ("all" or
// layer indices, default "all") and inputs.heads, which for 'real' selects captured heads: "all"
// (default: one case with every head), "each" (one case per head), an index, or a list of indices
// packed into one case; a list of these is a sweep axis like any other. Manifests are read and the
// selected files' SHA-256 checked at parse time, so bad data stops the spec with exit code 2.
struct RealSelection {
  struct Layer {
    std::optional<int64_t> layer;  // nullopt: every captured layer
    std::string path;
  };
  struct Heads {
    enum class Kind { all, each, list } kind = Kind::all;
    std::vector<int64_t> list;
    std::string path;
  };
  std::vector<RealSource> sources;  // empty when no distribution is 'real'
  std::vector<Layer> layers;
  std::vector<Heads> heads;
};
// True when inputs.distribution names only 'real' (the shape then comes from the captured set).
bool only_real_distribution(const json& inputs);
RealSelection parse_real_selection(const json& inputs, const std::vector<std::string>& distributions);
// `base` unchanged unless it is 'real'; then one InputSpec per (source, layer, head group).
std::vector<InputSpec> expand_real_input(const InputSpec& base, const RealSelection& selection);

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
