#include "core/error.hpp"

#include <cstdio>
#include <cstdlib>

namespace attn {

void check_failed(const char* expr, const char* file, int line, const std::string& message) {
  std::fprintf(stderr, "attnbench: internal error at %s:%d: %s (%s)\n", file, line, message.c_str(), expr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace attn
