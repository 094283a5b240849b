#include "runner/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <fmt/format.h>

namespace attn {

namespace {
using Clock = std::chrono::steady_clock;

std::string clock_text(double s) {
  const auto t = static_cast<long long>(std::max(0.0, s) + 0.5);
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

bool is_failure(const std::string& status) {
  return status != "ok" && status != "unsupported" && status != "skipped";
}
}  // namespace

Progress::Progress(std::size_t total, double total_cost_s, ProgressOptions options)
    : total_(total),
      total_cost_s_(total_cost_s),
      options_(options),
      terminal_(options.terminal.value_or(::isatty(::fileno(options.out)) != 0)),
      begin_(Clock::now()),
      last_line_(Clock::now()) {}

double Progress::elapsed_s() const { return std::chrono::duration<double>(Clock::now() - begin_).count(); }

std::string Progress::status_line() const {
  const double elapsed = elapsed_s();
  const double remaining_cost = std::max(0.0, total_cost_s_ - done_cost_s_);
  // Calibrate the estimates on what finished; before anything finished, trust them as they are.
  const double scale = done_cost_s_ > 0 && elapsed > 0 ? elapsed / done_cost_s_ : 1.0;
  const int percent = total_ > 0 ? static_cast<int>(100.0 * static_cast<double>(finished_) / static_cast<double>(total_)) : 100;
  std::string line = fmt::format("[{}/{}] {}% elapsed {} eta {}{}", finished_, total_, percent, clock_text(elapsed),
                                 done_cost_s_ > 0 ? "" : "~", clock_text(remaining_cost * scale));
  if (!current_.empty()) line += " " + (current_.size() > 70 ? current_.substr(0, 67) + "..." : current_);
  return line;
}

void Progress::print(bool force) {
  if (!options_.enabled) return;
  if (terminal_) {
    fmt::print(options_.out, "\r\033[K{}", status_line());
    std::fflush(options_.out);
    return;
  }
  const auto now = Clock::now();
  if (!force && std::chrono::duration<double>(now - last_line_).count() < options_.interval_s) return;
  last_line_ = now;
  fmt::print(options_.out, "attnbench: {}\n", status_line());
  std::fflush(options_.out);
}

void Progress::start(const std::string& case_id, double cost_s) {
  current_ = case_id;
  print(false);
}

void Progress::finish(const CaseResult& r, double cost_s) {
  ++finished_;
  done_cost_s_ += cost_s;
  current_.clear();
  if (options_.enabled && is_failure(r.status)) {
    if (terminal_) fmt::print(options_.out, "\r\033[K");
    fmt::print(options_.out, "attnbench: {}: {} ({})\n", r.case_id, r.status, r.reason.value_or(""));
  }
  print(false);
}

void Progress::tick() { print(false); }

void Progress::done() {
  if (!options_.enabled) return;
  if (terminal_)
    fmt::print(options_.out, "\r\033[K");
  else if (finished_ > 0)
    print(true);
  std::fflush(options_.out);
}

}  // namespace attn
