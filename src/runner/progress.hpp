// Progress of a sweep on stderr: on a terminal a live line (cases done / total, elapsed, ETA, the
// running case); otherwise a plain line at most every `interval_s`, so CI and Slurm logs show a
// long sweep moving without a flood. Cases that end in crash, timeout, oom, nonfinite or error are
// always named on a line of their own. The ETA scales the remaining cost estimate
// (runner/cost_estimate.hpp) by how long the finished cases really took against theirs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>

#include "report/result.hpp"

namespace attn {

struct ProgressOptions {
  bool enabled = true;             // false: silent (run --quiet)
  double interval_s = 30;          // between plain lines when not a terminal
  std::FILE* out = stderr;
  std::optional<bool> terminal;    // unset: isatty(out)
};

class Progress {
 public:
  Progress(std::size_t total, double total_cost_s, ProgressOptions options = {});
  void start(const std::string& case_id, double cost_s);
  void finish(const CaseResult& r, double cost_s);
  void tick();  // may print a periodic line
  void done();

  // "[3/10] 30% elapsed 0:04 eta 0:09 <case>" (what both kinds of line say).
  std::string status_line() const;

 private:
  void print(bool force);
  double elapsed_s() const;

  std::size_t total_;
  std::size_t finished_ = 0;
  double total_cost_s_;
  double done_cost_s_ = 0;
  ProgressOptions options_;
  bool terminal_;
  std::string current_;
  std::chrono::steady_clock::time_point begin_;
  std::chrono::steady_clock::time_point last_line_;
};

}  // namespace attn
