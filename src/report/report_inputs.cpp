#include "report/report_inputs.hpp"

#include <set>

#include "report/report_io.hpp"

namespace attn {

ResultsFile load_results_file(const std::string& path) {
  ResultsFile f{.path = path};
  f.jsonl = path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  if (!f.jsonl) {
    f.report = read_report(path);
    return f;
  }
  f.report.results = read_jsonl(path);
  std::set<std::string> hashes;
  for (const auto& r : f.report.results) hashes.insert(r.spec_sha256);
  if (hashes.size() == 1) f.report.spec_sha256 = *hashes.begin();
  return f;
}

std::vector<CaseResult> load_records(const std::vector<std::string>& paths) {
  std::vector<CaseResult> all;
  for (const auto& p : paths) {
    auto f = load_results_file(p);
    for (auto& r : f.report.results) all.push_back(std::move(r));
  }
  return all;
}

}  // namespace attn
