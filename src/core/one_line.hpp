// Error messages are one line (the CLI prints them after the program name; scripts grep them). Keys
// and values read from user files are quoted into messages, and a control character in one (a JSON
// key "r\nk") would break that, so the readers' entry points pass their messages through one_line.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace attn {

// `text` with control characters shown escaped: "\n" -> "\\n", "\t" -> "\\t", others as "\\xNN".
inline std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

}  // namespace attn
