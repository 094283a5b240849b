// Reads the files `report`, `compare` and `merge` take: a report (.json) or a per-case log (.jsonl).
// A JSONL has no context or spec, only records; its spec hash comes from the records' spec_sha256.
#pragma once

#include <string>
#include <vector>

#include "report/result.hpp"

namespace attn {

struct ResultsFile {
  std::string path;
  bool jsonl = false;
  Report report;  // for a JSONL: results, and spec_sha256 when every record carries the same one
};

// Throws UsageError with a one-line message (missing file, truncated JSON, other schema version).
ResultsFile load_results_file(const std::string& path);
// All records of several files, in file order.
std::vector<CaseResult> load_records(const std::vector<std::string>& paths);

}  // namespace attn
