#include "report/merge.hpp"

#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/sysinfo.hpp"
#include "spec/spec.hpp"

namespace attn {
namespace {

// The first value seen and the file it came from; a different later value is an error.
struct Agreement {
  std::string value, source;
  void check(const std::string& v, const std::string& file, const char* what) {
    if (v.empty()) return;
    if (value.empty()) {
      value = v;
      source = file;
    } else if (v != value) {
      throw UsageError(fmt::format("merge: {}: {} '{}' differs from '{}' in {}; refusing to merge", file, what, v,
                                   value, source));
    }
  }
};

// Case ids of the spec as run, or empty when it cannot be expanded by this build.
std::vector<std::string> spec_case_ids(const nlohmann::json& spec) {
  if (!spec.is_object() || spec.empty()) return {};
  try {
    std::vector<std::string> ids;
    for (const auto& c : parse_spec(spec, "merged spec").cases) ids.push_back(c.id);
    return ids;
  } catch (const std::exception&) {
    return {};  // e.g. a method this build does not know: no completeness check
  }
}

}  // namespace

MergeOutcome merge_results(const std::vector<ResultsFile>& files) {
  MergeOutcome out;
  Agreement spec_hash, version, commit;
  const ResultsFile* first_report = nullptr;
  std::map<std::string, std::string> fingerprints;  // fingerprint -> first file
  for (const auto& f : files) {
    spec_hash.check(f.report.spec_sha256, f.path, "spec sha256");
    for (const auto& r : f.report.results) spec_hash.check(r.spec_sha256, f.path, "spec sha256");
    if (f.jsonl) continue;
    version.check(f.report.tool_version, f.path, "attnbench version");
    commit.check(f.report.git_commit, f.path, "attnbench git commit");
    if (!first_report) first_report = &f;
    fingerprints.emplace(fingerprint(f.report.context), f.path);
  }

  Report& m = out.report;
  if (first_report) {
    m = first_report->report;
    m.results.clear();
    m.interrupted = false;
  } else {
    out.warnings.push_back("merged from JSONL logs only: the machine context is unknown");
    m.context_json = nlohmann::json{{"warnings", nlohmann::json::array()}};
  }
  m.spec_sha256 = spec_hash.value;
  if (fingerprints.size() > 1) {
    std::string list;
    for (const auto& [fp, file] : fingerprints) list += fmt::format("{}[{}] ({})", list.empty() ? "" : ", ", fp, file);
    out.warnings.push_back("shards ran on different machines: " + list + "; their times are not comparable");
  }

  std::map<std::string, size_t> index;
  for (const auto& f : files) {
    if (!f.jsonl && f.report.interrupted) m.interrupted = true;
    for (const auto& r : f.report.results) {
      const auto [it, fresh] = index.emplace(r.case_id, m.results.size());
      if (fresh) {
        m.results.push_back(r);
      } else {
        m.results[it->second] = r;
        ++out.duplicates;
      }
    }
  }
  if (out.duplicates > 0)
    out.warnings.push_back(fmt::format("{} duplicate record(s) of the same case: kept the last of each", out.duplicates));
  // A resumed shard's final report supersedes its interrupted one only if it is complete; say so
  // when the spec's cases are not all there.
  const auto ids = spec_case_ids(m.spec);
  size_t missing = 0;
  for (const auto& id : ids) missing += !index.count(id);
  if (missing > 0)
    out.warnings.push_back(fmt::format("{} of the spec's {} cases are not in the merged results (a shard not given, "
                                       "a --filter run, or an unfinished sweep)", missing, ids.size()));
  if (m.context_json.is_object()) {
    auto& w = m.context_json["warnings"];
    if (!w.is_array()) w = nlohmann::json::array();
    for (const auto& s : out.warnings) w.push_back("merge: " + s);
  }
  return out;
}

}  // namespace attn
