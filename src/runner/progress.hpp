// A one-line progress display with ETA on stderr when it is a terminal; silent otherwise (CI logs
// get the summary table instead).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "report/result.hpp"

namespace attn {

class Progress {
 public:
  Progress(std::size_t total, bool enabled);
  void start(const std::string& case_id);
  void finish(const CaseResult& r);
  void done();

 private:
  std::size_t total_;
  std::size_t finished_ = 0;
  bool enabled_;
  std::chrono::steady_clock::time_point begin_;
};

}  // namespace attn
