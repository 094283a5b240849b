// A parsed, validated and expanded benchmark spec (DESIGN.md §6). Parsing is strict: unknown keys,
// methods and parameters, wrong types and out-of-range values are UsageErrors whose message starts
// with the JSON path ("methods[2].rank[1]: must be >= 1").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dtype.hpp"
#include "core/params.hpp"
#include "inputs/input_spec.hpp"
#include "methods/method.hpp"

namespace attn {

struct Case {
  std::string id;            // stable, unique within the spec (the key for resume and compare)
  int64_t index = 0;         // position in the expansion
  std::string method;
  const MethodInfo* info = nullptr;
  Budget budget;
  std::vector<std::pair<std::string, ParamValue>> explicit_params;  // as the user wrote them
  ParamSet params;           // resolved (defaults + budget + explicit)
  Realized realized;
  InputSpec input;
  Device device = Device::cpu;
  // Set when the budget cannot be honoured at this shape (e.g. rank > N): the runner records the
  // case as "skipped" with this reason instead of running it; the spec stays valid.
  std::optional<std::string> skip_reason;

  // The shape, device and dtype the method's flops and workspace estimates take.
  CaseShape shape() const {
    return {input.batch, input.heads, input.seq_len, input.head_dim, input.causal, device, input.dtype};
  }
};

struct Spec {
  std::string name;
  nlohmann::json raw;        // the spec as given (after defaults are NOT applied)
  std::string sha256;        // of the canonical dump of `raw`
  std::vector<Device> devices = {Device::cpu};
  int repetitions = 10;
  int warmup = 1;
  double timeout_s = 600;
  double memory_budget_gib = 0;  // 0: the runner's default (80% of available memory)
  // Attention-matrix metrics and oracle bounds for cases with N up to this (0: off; issue 5's default).
  int64_t attn_metrics_max_n = 2048;
  std::vector<Case> cases;
};

// `source` names the origin in errors ("bench_specs/x.json" or "built-in default").
Spec parse_spec(const nlohmann::json& j, const std::string& source);
Spec parse_spec_text(std::string_view text, const std::string& source);  // JSON syntax errors too
Spec load_spec_file(const std::string& path);

std::string sha256_hex(std::string_view data);

}  // namespace attn
