#include "runner/resume.hpp"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "core/error.hpp"
#include "report/report_io.hpp"

namespace attn {

namespace fs = std::filesystem;

bool is_retryable_status(const std::string& status) {
  return status == "crash" || status == "timeout" || status == "oom" || status == "error";
}

PriorResults load_prior_results(const std::string& jsonl_path, const std::string& spec_sha256, int repetitions,
                                int warmup, bool retry_failed) {
  PriorResults prior;
  std::error_code ec;
  if (!fs::exists(jsonl_path, ec)) return prior;
  for (CaseResult& r : read_jsonl(jsonl_path)) {
    if (r.spec_sha256 != spec_sha256) {
      ++prior.other_spec;
      continue;
    }
    if (r.status == "ok" && (r.repetitions != repetitions || r.warmup != warmup)) {
      ++prior.other_settings;
      continue;
    }
    if (retry_failed && is_retryable_status(r.status)) {
      ++prior.retried;
      prior.by_id.erase(r.case_id);
      continue;
    }
    const std::string id = r.case_id;
    prior.by_id.insert_or_assign(id, std::move(r));  // a later record of a case supersedes an earlier one
  }
  return prior;
}

std::vector<std::string> set_aside_previous(const std::string& json_path, const std::string& jsonl_path) {
  std::error_code ec;
  const bool json_exists = fs::exists(json_path, ec), jsonl_exists = fs::exists(jsonl_path, ec);
  if (!json_exists && !jsonl_exists) return {};
  int k = 1;
  while (fs::exists(fmt::format("{}.~{}~", json_path, k), ec) || fs::exists(fmt::format("{}.~{}~", jsonl_path, k), ec)) ++k;
  std::vector<std::string> moved;
  for (const auto& [exists, path] : {std::pair{json_exists, json_path}, std::pair{jsonl_exists, jsonl_path}}) {
    if (!exists) continue;
    const std::string to = fmt::format("{}.~{}~", path, k);
    fs::rename(path, to, ec);
    if (ec) throw UsageError(fmt::format("{}: cannot set the earlier results aside ({}); use another -o or --resume", path, ec.message()));
    moved.push_back(to);
  }
  return moved;
}

}  // namespace attn
