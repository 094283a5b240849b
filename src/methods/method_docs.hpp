// The registry rendered for people and programs: `attnbench list` (text, --json) and
// docs/methods.md (--markdown), generated so the docs never drift from the code.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "methods/method.hpp"

namespace attn {

nlohmann::json method_info_json(const MethodInfo& info);
std::string methods_markdown();
std::string methods_text();

}  // namespace attn
