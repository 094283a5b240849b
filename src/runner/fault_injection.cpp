#include "runner/fault_injection.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <new>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/error.hpp"

namespace attn {

void inject_fault(const std::string& case_id) {
  const char* env = std::getenv(kFaultEnv);
  if (env == nullptr || *env == '\0') return;
  std::istringstream entries(env);
  std::string entry;
  while (std::getline(entries, entry, ';')) {
    if (entry.empty()) continue;
    const auto at = entry.find('@');
    if (at == std::string::npos) throw UsageError(fmt::format("{}: expected fault@case_id (got '{}')", kFaultEnv, entry));
    const std::string fault = entry.substr(0, at);
    if (entry.substr(at + 1) != case_id) continue;
    std::fprintf(stderr, "attnbench: %s: injecting fault '%s' into %s\n", kFaultEnv, fault.c_str(), case_id.c_str());
    if (fault == "segv") {
      std::raise(SIGSEGV);
    } else if (fault == "abort") {
      std::abort();
    } else if (fault == "hang") {
      for (;;) ::pause();
    } else if (fault == "alloc") {
      // A real request the allocator must refuse, so the path through operator new is the one tested.
      volatile std::size_t huge = std::size_t{1} << 62;
      char* p = new char[huge];
      p[0] = 1;
      delete[] p;
    } else if (fault == "throw") {
      throw std::runtime_error("injected failure");
    } else if (fault == "exit") {
      std::_Exit(3);
    } else {
      throw UsageError(fmt::format("{}: unknown fault '{}' (known: segv, abort, hang, alloc, throw, exit)", kFaultEnv, fault));
    }
  }
}

}  // namespace attn
