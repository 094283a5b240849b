#pragma once
#include <string_view>

namespace attn {
// The text of bench_specs/default.json as it was at build time.
std::string_view default_spec_text();
}  // namespace attn
