// Reading an InputSpec back from a report (the inverse of InputSpec::to_json, which lives with the
// inputs layer; the reader lives here because only reports read inputs back).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "inputs/input_spec.hpp"

namespace attn {

// Keys as InputSpec::to_json writes them; a missing optional key keeps the InputSpec default, an
// unknown key is ignored (newer minor schema versions may add some). Throws UsageError naming
// "input.<key>" for a value of the wrong type and when seq_len, head_dim, batch or heads is missing.
InputSpec input_spec_from_json(const nlohmann::json& j);

}  // namespace attn
