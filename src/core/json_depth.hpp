// Nesting depth of JSON text, measured before parsing. nlohmann::json recurses once per level when
// it builds, copies, dumps or destroys a value, so a file of a few hundred KB of "[[[[..." crashes
// the process with a stack overflow instead of giving a UsageError. Readers of user files (specs,
// reports, JSONL) check the depth first; no file attnbench writes nests more than a few levels.
#pragma once

#include <string_view>

namespace attn {

inline constexpr int kMaxJsonDepth = 64;

// The deepest nesting of arrays and objects in `text` (strings and their escapes skipped), or
// `limit` + 1 as soon as it is exceeded. Malformed text gets a number too; the parser reports it.
inline int json_nesting_depth(std::string_view text, int limit = kMaxJsonDepth) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return limit + 1;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace attn
