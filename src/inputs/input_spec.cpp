// InputSpec naming: the case-id fragment users read and filter on, the group key the runner caches
// inputs and references under, and the JSON recorded in every result.
#include "inputs/input_spec.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/rng.hpp"
#include "inputs/real_inputs.hpp"

namespace attn {

namespace {

// Distribution parameters appear only where they change the tensors, so "gaussian" ids do not
// carry a meaningless "clusters=16".
std::string distribution_token(const InputSpec& s) {
  if (s.distribution == "clustered") return fmt::format("clustered/clusters={}", s.clusters);
  if (s.distribution == "lowrank") return fmt::format("lowrank/sub={}", s.subspace_dim);
  if (s.distribution == "local") return fmt::format("local/smooth={}", s.smoothing);
  if (s.distribution == "file") {
    // Paths are too long for an id; a short hash keeps ids of different files apart.
    const uint64_t h = hash64(fmt::format("{}\n{}\n{}", s.q_path, s.k_path, s.v_path));
    return fmt::format("file/src={:08x}", static_cast<uint32_t>(h ^ (h >> 32)));
  }
  if (s.distribution == "real")
    return fmt::format("real/src={}/layer={}/heads={}", s.source, s.layer, real_heads_token(s.head_indices));
  return s.distribution;
}

}  // namespace

std::string InputSpec::id_fragment() const {
  std::string out = fmt::format("{}/N={}/d={}/B={}/H={}/{}/seed={}", distribution_token(*this), seq_len, head_dim,
                                batch, heads, dtype_name(dtype), seed);
  if (sinks > 0) out += fmt::format("/sinks={}", sinks);
  if (unit_norm) out += "/unit";
  if (temperature != 1.0) out += fmt::format("/t={:g}", temperature);
  if (causal) out += "/causal";
  return out;
}

std::string InputSpec::group_key() const {
  // The id fragment already holds every field that changes the tensors or the reference, except
  // the full file paths (hashed there) and full-precision temperature ({:g} keeps 6 digits).
  std::string out = id_fragment();
  if (temperature != 1.0) out += fmt::format("/temperature={:.17g}", temperature);
  if (distribution == "file") out += fmt::format("/q={}/k={}/v={}", q_path, k_path, v_path);
  return out;
}

nlohmann::json InputSpec::to_json() const {
  nlohmann::json j = {{"distribution", distribution},
                      {"seq_len", seq_len},
                      {"head_dim", head_dim},
                      {"batch", batch},
                      {"heads", heads},
                      {"causal", causal},
                      {"dtype", std::string(dtype_name(dtype))},
                      {"seed", seed},
                      {"temperature", temperature}};
  if (distribution == "clustered") j["clusters"] = clusters;
  if (distribution == "lowrank") j["subspace_dim"] = subspace_dim;
  if (distribution == "local") j["smoothing"] = smoothing;
  if (sinks > 0) j["sinks"] = sinks;
  if (unit_norm) j["unit_norm"] = true;
  if (distribution == "real") {
    j["source"] = source;
    j["layer"] = layer;
    j["head_indices"] = head_indices;
  }
  if (distribution == "file") {
    j["q"] = q_path;
    j["k"] = k_path;
    j["v"] = v_path;
  }
  return j;
}

}  // namespace attn
