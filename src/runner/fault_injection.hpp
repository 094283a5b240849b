// A test-only fault hook, so every failure path of the runner is proven by a test rather than
// hoped for. ATTNBENCH_FAULT holds `fault@case_id` entries separated by ';'; when the named case
// starts running (after its pre-checks), the fault happens inside it:
//   segv   raise SIGSEGV              abort  std::abort()
//   hang   sleep forever              alloc  a real allocation of 2^62 bytes (std::bad_alloc)
//   throw  a std::runtime_error       exit   the process exits with status 3 (a library calling exit)
// An input group's inputs and reference are hit as `fault@reference/<input id fragment>`.
// Unset (the normal case), it costs one getenv per case.
#pragma once

#include <string>

namespace attn {

inline constexpr const char* kFaultEnv = "ATTNBENCH_FAULT";

// Performs the fault configured for `case_id`, if any. A malformed ATTNBENCH_FAULT is a UsageError.
void inject_fault(const std::string& case_id);

}  // namespace attn
