#include "runner/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <fmt/format.h>

namespace attn {

Progress::Progress(std::size_t total, bool enabled)
    : total_(total), enabled_(enabled && ::isatty(STDERR_FILENO)), begin_(std::chrono::steady_clock::now()) {}

void Progress::start(const std::string& case_id) {
  if (!enabled_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
  std::string eta = "?";
  if (finished_ > 0) eta = fmt::format("{:.0f}s", elapsed / static_cast<double>(finished_) * (total_ - finished_));
  std::string id = case_id.size() > 70 ? case_id.substr(0, 67) + "..." : case_id;
  fmt::print(stderr, "\r\033[K[{}/{}] eta {} {}", finished_ + 1, total_, eta, id);
  std::fflush(stderr);
}

void Progress::finish(const CaseResult& r) {
  ++finished_;
  if (r.status != "ok" && r.status != "unsupported" && r.status != "skipped") {
    if (enabled_) fmt::print(stderr, "\r\033[K");
    fmt::print(stderr, "attnbench: {}: {} ({})\n", r.case_id, r.status, r.reason.value_or(""));
  }
}

void Progress::done() {
  if (enabled_) fmt::print(stderr, "\r\033[K");
}

}  // namespace attn
