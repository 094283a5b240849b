#include "report/input_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace attn {
namespace {

const nlohmann::json* field(const nlohmann::json& j, const char* key, bool required) {
  if (j.contains(key) && !j[key].is_null()) return &j[key];
  if (required) throw UsageError(fmt::format("input.{}: missing", key));
  return nullptr;
}

void read_int(const nlohmann::json& j, const char* key, int64_t& out, bool required = false) {
  if (const auto* v = field(j, key, required)) {
    if (!v->is_number_integer()) throw UsageError(fmt::format("input.{}: expected an integer", key));
    out = v->get<int64_t>();
  }
}

void read_string(const nlohmann::json& j, const char* key, std::string& out) {
  if (const auto* v = field(j, key, false)) {
    if (!v->is_string()) throw UsageError(fmt::format("input.{}: expected a string", key));
    out = v->get<std::string>();
  }
}

}  // namespace

InputSpec input_spec_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw UsageError("input: expected an object");
  InputSpec s;
  read_string(j, "distribution", s.distribution);
  read_int(j, "seq_len", s.seq_len, true);
  read_int(j, "head_dim", s.head_dim, true);
  read_int(j, "batch", s.batch, true);
  read_int(j, "heads", s.heads, true);
  if (const auto* v = field(j, "causal", false)) {
    if (!v->is_boolean()) throw UsageError("input.causal: expected true or false");
    s.causal = v->get<bool>();
  }
  if (const auto* v = field(j, "dtype", false)) {
    if (!v->is_string()) throw UsageError("input.dtype: expected a string");
    s.dtype = parse_dtype(v->get<std::string>(), "input.dtype");
  }
  if (const auto* v = field(j, "seed", false)) {
    // Seeds are uint64: nlohmann stores values above INT64_MAX as unsigned, below as signed.
    if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<int64_t>() < 0))
      throw UsageError("input.seed: expected a non-negative integer");
    s.seed = v->get<uint64_t>();
  }
  if (const auto* v = field(j, "temperature", false)) {
    if (!v->is_number()) throw UsageError("input.temperature: expected a number");
    s.temperature = v->get<double>();
  }
  read_int(j, "clusters", s.clusters);
  read_int(j, "subspace_dim", s.subspace_dim);
  read_int(j, "smoothing", s.smoothing);
  read_string(j, "q", s.q_path);
  read_string(j, "k", s.k_path);
  read_string(j, "v", s.v_path);
  read_string(j, "source", s.source);
  read_int(j, "layer", s.layer);
  if (const auto* v = field(j, "head_indices", false)) {
    if (!v->is_array()) throw UsageError("input.head_indices: expected a list of integers");
    for (const auto& h : *v) {
      if (!h.is_number_integer()) throw UsageError("input.head_indices: expected a list of integers");
      s.head_indices.push_back(h.get<int64_t>());
    }
  }
  return s;
}

}  // namespace attn
