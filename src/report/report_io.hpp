// Writing results so that nothing measured is ever lost: every finished case is appended to a JSONL
// file and flushed to disk (fsync) before the next case starts; the final report is written to a
// temp file in the same folder and renamed over the target.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "report/result.hpp"

namespace attn {

class JsonlWriter {
 public:
  // Opens `path` for appending (creating folders). Throws UsageError naming the path if unwritable.
  explicit JsonlWriter(const std::string& path);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;
  void append(const CaseResult& r);  // one line, flushed and fsynced
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

// Reads a JSONL of results; a torn last line is skipped (with a warning on stderr).
std::vector<CaseResult> read_jsonl(const std::string& path);

// Atomic write of any text file (temp + fsync + rename). Throws UsageError if the folder is unwritable.
void write_file_atomic(const std::string& path, const std::string& text);
void write_report(const std::string& path, const Report& report);
Report read_report(const std::string& path);
// Checks up front that a file can be created at `path` (so a sweep never runs only to fail at the end).
void check_writable(const std::string& path);

}  // namespace attn
