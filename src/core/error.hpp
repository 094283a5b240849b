// Three error tiers (STYLE.md rule 8):
//  - UsageError: a spec, flag or input-file mistake found before anything runs. The CLI prints the
//    one-line message (which names the JSON path or flag) and exits with code 2.
//  - CaseError and its kinds: a failure inside one case. The runner records it as that case's status
//    and the sweep goes on.
//  - ATTN_CHECK: a broken invariant (a bug). Aborts with file:line.
#pragma once

#include <stdexcept>
#include <string>

namespace attn {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure that belongs to one case; `status()` is the report's status string.
class CaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual const char* status() const noexcept { return "error"; }
};

// Device, causal mode or dtype not supported by this method or one of its ops.
class UnsupportedError : public CaseError {
 public:
  using CaseError::CaseError;
  const char* status() const noexcept override { return "unsupported"; }
};

// An allocation failed (host or device).
class OutOfMemoryError : public CaseError {
 public:
  using CaseError::CaseError;
  const char* status() const noexcept override { return "oom"; }
};

[[noreturn]] void check_failed(const char* expr, const char* file, int line, const std::string& message);

}  // namespace attn

#define ATTN_CHECK(cond, msg)                                          \
  do {                                                                 \
    if (!(cond)) ::attn::check_failed(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
