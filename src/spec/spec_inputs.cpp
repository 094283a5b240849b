// The spec's "inputs" object: every field may be a scalar or a list (a sweep axis); the input
// combinations are the product of the axes, first key outermost.
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "inputs/distributions.hpp"
#include "spec/spec_detail.hpp"
#include "spec/spec_limits.hpp"

namespace attn::spec_detail {

namespace {

using Setter = std::function<void(InputSpec&)>;
using Axis = std::vector<Setter>;

// Fields that only one distribution reads; naming one while that distribution is absent is
// almost certainly a typo in the distribution list, so it is an error rather than ignored.
struct OwnedField {
  const char* key;
  const char* owner;
};
constexpr OwnedField kOwnedFields[] = {
    {"clusters", "clustered"}, {"subspace_dim", "lowrank"}, {"smoothing", "local"},
    {"q", "file"},             {"k", "file"},               {"v", "file"},
    {"source", "real"},        {"layers", "real"},
};

Axis int_axis(const json& inputs, const char* key, int64_t min, int64_t max, int64_t InputSpec::*field) {
  Axis axis;
  if (!inputs.contains(key)) return axis;
  for (const auto& a : axis_values(inputs[key], join_path("inputs", key))) {
    const int64_t x = get_int(*a.value, a.path, min, max);
    axis.push_back([=](InputSpec& s) { s.*field = x; });
  }
  return axis;
}

Axis path_axis(const json& inputs, const char* key, std::string InputSpec::*field) {
  Axis axis;
  if (!inputs.contains(key)) return axis;
  for (const auto& a : axis_values(inputs[key], join_path("inputs", key))) {
    std::string p = get_string(*a.value, a.path);
    if (p.empty()) throw UsageError(fmt::format("{}: must not be empty", a.path));
    axis.push_back([=](InputSpec& s) { s.*field = p; });
  }
  return axis;
}

std::vector<std::string> parse_distributions(const json& inputs) {
  if (!inputs.contains("distribution")) return {"gaussian"};
  std::vector<std::string> out;
  const auto& known = distribution_names();
  for (const auto& a : axis_values(inputs["distribution"], "inputs.distribution")) {
    std::string name = get_string(*a.value, a.path);
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw UsageError(fmt::format("{}: unknown distribution '{}' (known: {})", a.path, name, fmt::join(known, ", ")));
    out.push_back(std::move(name));
  }
  return out;
}

Axis dtype_axis(const json& inputs, const std::vector<Device>& devices) {
  Axis axis;
  if (!inputs.contains("dtype")) return axis;
  const bool has_cuda = std::find(devices.begin(), devices.end(), Device::cuda) != devices.end();
  for (const auto& a : axis_values(inputs["dtype"], "inputs.dtype")) {
    const DType t = parse_dtype(get_string(*a.value, a.path), a.path);
    if (t == DType::f64)
      throw UsageError(fmt::format("{}: 'fp64' is not a run precision (the reference is always fp64; use fp32, fp16 or bf16)", a.path));
    if (t != DType::f32 && !has_cuda)
      throw UsageError(fmt::format("{}: '{}' needs device cuda (the cpu backend runs fp32 only)", a.path, dtype_name(t)));
    axis.push_back([=](InputSpec& s) { s.dtype = t; });
  }
  return axis;
}

Axis seed_axis(const json& inputs) {
  if (inputs.contains("seed") && inputs.contains("seeds"))
    throw UsageError("inputs.seed: give either seed or seeds, not both");
  const char* key = inputs.contains("seeds") ? "seeds" : "seed";
  Axis axis;
  if (!inputs.contains(key)) return axis;
  for (const auto& a : axis_values(inputs[key], join_path("inputs", key))) {
    const auto seed = static_cast<uint64_t>(get_int(*a.value, a.path, 0, spec_limits::kMaxSeed));
    axis.push_back([=](InputSpec& s) { s.seed = seed; });
  }
  return axis;
}

// Resets what the distribution does not read, so that e.g. gaussian x clusters [4, 16] is one
// input, not two inputs with identical tensors and identical case ids.
void drop_unused_fields(InputSpec& s) {
  const InputSpec defaults;
  if (s.distribution != "clustered") s.clusters = defaults.clusters;
  if (s.distribution != "lowrank") s.subspace_dim = defaults.subspace_dim;
  if (s.distribution != "local") s.smoothing = defaults.smoothing;
  if (s.distribution == "file" || s.distribution == "real") {  // options of the generated distributions
    s.sinks = defaults.sinks;
    s.unit_norm = defaults.unit_norm;
  }
  if (s.distribution != "file") s.q_path = s.k_path = s.v_path = "";
}

// The per-field bounds leave products unchecked: batch x heads and the size of one tensor.
void check_input_size(const InputSpec& s) {
  const int64_t bh = s.batch * s.heads;  // each <= 2^16 (or a captured set's), so no overflow
  if (bh > spec_limits::kMaxBatchHeads)
    throw UsageError(fmt::format("inputs: batch x heads = {} is above {} (at {})", bh, spec_limits::kMaxBatchHeads,
                                 s.id_fragment()));
  const int64_t numel = saturating_mul(saturating_mul(bh, s.seq_len), s.head_dim);
  if (numel > spec_limits::kMaxTensorElements)
    throw UsageError(fmt::format("inputs: batch x heads x seq_len x head_dim = {} elements per tensor is above 2^36 = {} "
                                 "(at {})", numel, spec_limits::kMaxTensorElements, s.id_fragment()));
}

}  // namespace

std::vector<InputSpec> parse_inputs(const json& inputs, const std::vector<Device>& devices) {
  if (!inputs.is_object()) throw UsageError(fmt::format("inputs: must be an object (got {})", inputs.dump()));
  check_keys(inputs, "inputs",
             {"distribution", "seq_len", "head_dim", "batch", "heads", "causal", "dtype", "seeds", "seed",
              "temperature", "clusters", "subspace_dim", "smoothing", "q", "k", "v",
              "source", "layers", "sinks", "unit_norm"});
  // 'real' alone may omit seq_len: the captured length.
  if (!inputs.contains("seq_len") && !only_real_distribution(inputs)) throw UsageError("inputs.seq_len: required");

  const std::vector<std::string> distributions = parse_distributions(inputs);
  auto uses = [&](const char* name) {
    return std::find(distributions.begin(), distributions.end(), name) != distributions.end();
  };
  for (const auto& f : kOwnedFields) {
    if (inputs.contains(f.key) && !uses(f.owner))
      throw UsageError(fmt::format("inputs.{}: only used by distribution '{}', which is not in inputs.distribution",
                                   f.key, f.owner));
    if (!inputs.contains(f.key) && std::string_view(f.owner) == "file" && uses("file"))
      throw UsageError(fmt::format("inputs.{}: required when distribution is 'file'", f.key));
  }

  const RealSelection real = parse_real_selection(inputs, distributions);

  std::vector<Axis> axes;
  Axis dist_axis;
  for (const auto& d : distributions) dist_axis.push_back([d](InputSpec& s) { s.distribution = d; });
  axes.push_back(std::move(dist_axis));
  axes.push_back(int_axis(inputs, "seq_len", 1, spec_limits::kMaxSeqLen, &InputSpec::seq_len));
  axes.push_back(int_axis(inputs, "head_dim", 1, spec_limits::kMaxHeadDim, &InputSpec::head_dim));
  axes.push_back(int_axis(inputs, "batch", 1, spec_limits::kMaxBatch, &InputSpec::batch));
  if (!uses("real"))  // else a head selection
    axes.push_back(int_axis(inputs, "heads", 1, spec_limits::kMaxHeads, &InputSpec::heads));
  if (inputs.contains("causal")) {
    Axis axis;
    for (const auto& a : axis_values(inputs["causal"], "inputs.causal")) {
      const bool c = get_bool(*a.value, a.path);
      axis.push_back([c](InputSpec& s) { s.causal = c; });
    }
    axes.push_back(std::move(axis));
  }
  axes.push_back(dtype_axis(inputs, devices));
  axes.push_back(seed_axis(inputs));
  if (inputs.contains("temperature")) {
    Axis axis;
    for (const auto& a : axis_values(inputs["temperature"], "inputs.temperature")) {
      const double t = get_number_in(*a.value, a.path, 0.0, spec_limits::kMaxTemperature, /*min_exclusive=*/true);
      axis.push_back([t](InputSpec& s) { s.temperature = t; });
    }
    axes.push_back(std::move(axis));
  }
  axes.push_back(int_axis(inputs, "clusters", 1, spec_limits::kMaxClusters, &InputSpec::clusters));
  axes.push_back(int_axis(inputs, "subspace_dim", 1, spec_limits::kMaxSubspaceDim, &InputSpec::subspace_dim));
  axes.push_back(int_axis(inputs, "smoothing", 1, spec_limits::kMaxSmoothing, &InputSpec::smoothing));
  axes.push_back(int_axis(inputs, "sinks", 0, spec_limits::kMaxSinks, &InputSpec::sinks));
  if (inputs.contains("unit_norm")) {
    Axis axis;
    for (const auto& a : axis_values(inputs["unit_norm"], "inputs.unit_norm")) {
      const bool u = get_bool(*a.value, a.path);
      axis.push_back([u](InputSpec& s) { s.unit_norm = u; });
    }
    axes.push_back(std::move(axis));
  }
  axes.push_back(path_axis(inputs, "q", &InputSpec::q_path));
  axes.push_back(path_axis(inputs, "k", &InputSpec::k_path));
  axes.push_back(path_axis(inputs, "v", &InputSpec::v_path));
  std::erase_if(axes, [](const Axis& a) { return a.empty(); });  // fields left at their defaults
  int64_t combinations = 1;
  for (const Axis& a : axes) combinations = saturating_mul(combinations, static_cast<int64_t>(a.size()));
  if (combinations > spec_limits::kMaxInputCombinations)
    throw UsageError(fmt::format("inputs: the sweep axes multiply to {} input combinations (at most {}); split the spec",
                                 combinations, spec_limits::kMaxInputCombinations));

  // Odometer over the axes, last axis fastest.
  std::vector<InputSpec> out;
  std::set<std::string> seen;
  std::vector<size_t> at(axes.size(), 0);
  while (true) {
    InputSpec s;
    for (size_t i = 0; i < axes.size(); ++i) axes[i][at[i]](s);
    drop_unused_fields(s);
    for (InputSpec& e : expand_real_input(s, real)) {
      check_input_size(e);
      if (seen.insert(e.group_key()).second) out.push_back(std::move(e));
    }
    size_t i = axes.size();
    while (i > 0 && ++at[i - 1] == axes[i - 1].size()) at[--i] = 0;
    if (i == 0) break;
  }
  return out;
}

}  // namespace attn::spec_detail
