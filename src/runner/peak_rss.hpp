// This process's peak resident memory, resettable, so a process that runs several cases one after
// another can still report each case's own peak (Linux: writing 5 to /proc/self/clear_refs resets
// VmHWM, the high-water mark that getrusage's ru_maxrss also reads).
#pragma once

#include <cstdint>
#include <optional>

namespace attn {

// Resets the high-water mark to the current RSS; false where the kernel does not allow it.
bool reset_peak_rss();
// VmHWM in bytes, or nullopt where /proc is unavailable.
std::optional<int64_t> peak_rss_bytes();

}  // namespace attn
