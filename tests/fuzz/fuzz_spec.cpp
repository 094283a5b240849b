// Fuzzes the spec parser (parse_spec_text: JSON syntax, keys, types, ranges, method parameters and
// budgets, the sweep expansion). The contract for any input: a spec or a UsageError (exit code 2)
// with a one-line message; anything else escaping (another exception, a crash, a sanitizer report,
// an allocation past -rss_limit_mb, a hang) is a bug. Seeds: every shipped spec plus corpus/spec/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "spec/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const attn::Spec spec = attn::parse_spec_text(text, "fuzz.json");
    // What validate and the runner read next: every case has an id, method info and parameters.
    for (const auto& c : spec.cases)
      if (c.id.empty() || c.info == nullptr) std::abort();
  } catch (const attn::UsageError& e) {
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();  // one line
  }
  return 0;
}
