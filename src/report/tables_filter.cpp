#include "report/tables_filter.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

#include <fmt/format.h>

#include "core/error.hpp"

namespace attn {
namespace {

std::optional<double> as_number(const std::string& s) {
  double v = 0;
  const char* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty()) return std::nullopt;
  return v;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool is_metric(const std::string& key) {
  const auto& m = metric_names();
  return std::find(m.begin(), m.end(), key) != m.end();
}

// Splits on commas that are not inside a regex's (...), [...] or {...}.
std::vector<std::string> split_terms(const std::string& expr) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char ch : expr) {
    if (ch == '(' || ch == '[' || ch == '{') ++depth;
    if (ch == ')' || ch == ']' || ch == '}') --depth;
    if (ch == ',' && depth <= 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

RecordFilter::RecordFilter(const std::string& expr) {
  static const char* kOps[] = {"!=", "<=", ">=", "!~", "=", "<", ">", "~"};  // two-char operators first
  for (const auto& raw : split_terms(expr)) {
    const std::string term = trim(raw);
    if (term.empty()) continue;
    size_t best = std::string::npos;
    std::string op;
    for (const char* o : kOps) {
      const size_t at = term.find(o);
      if (at != std::string::npos && (at < best || (at == best && std::string(o).size() > op.size()))) {
        best = at;
        op = o;
      }
    }
    if (best == std::string::npos || best == 0)
      throw UsageError(fmt::format("--filter: '{}' is not KEY OP VALUE (OP: = != < <= > >= ~ !~)", term));
    Term t{trim(term.substr(0, best)), op, trim(term.substr(best + op.size()))};
    if (!is_metric(t.key)) {
      try {
        check_record_key(t.key);
      } catch (const UsageError& e) {
        throw UsageError(fmt::format("--filter: {}", e.what()));
      }
    }
    if (op == "~" || op == "!~") {
      try {
        std::regex check(t.value);
      } catch (const std::regex_error& e) {
        throw UsageError(fmt::format("--filter: '{}': bad regular expression ({})", term, e.what()));
      }
    }
    terms_.push_back(std::move(t));
  }
}

bool RecordFilter::matches(const CaseResult& r, const RecordLabels& labels) const {
  for (const auto& t : terms_) {
    std::optional<double> number;
    std::string text;
    if (is_metric(t.key)) {
      number = record_metric(r, t.key);
      if (!number) return false;  // a record without the metric never passes a test on it
      text = fmt::format("{}", *number);
    } else {
      text = record_key(r, t.key, labels);
      number = as_number(text);
    }
    if (t.op == "~" || t.op == "!~") {
      const bool found = std::regex_search(text, std::regex(t.value));
      if (found != (t.op == "~")) return false;
      continue;
    }
    const auto want = as_number(t.value);
    int cmp = 0;
    if (number && want) cmp = *number < *want ? -1 : (*number > *want ? 1 : 0);
    else cmp = text.compare(t.value) < 0 ? -1 : (text.compare(t.value) > 0 ? 1 : 0);
    const bool ok = t.op == "=" ? cmp == 0 : t.op == "!=" ? cmp != 0 : t.op == "<" ? cmp < 0
                  : t.op == "<=" ? cmp <= 0 : t.op == ">" ? cmp > 0 : cmp >= 0;
    if (!ok) return false;
  }
  return true;
}

std::vector<CaseResult> filter_records(const std::vector<CaseResult>& records, const std::vector<std::string>& exprs) {
  std::vector<RecordFilter> filters;
  for (const auto& e : exprs) filters.emplace_back(e);
  const RecordLabels labels(records);
  std::vector<CaseResult> out;
  for (const auto& r : records)
    if (std::all_of(filters.begin(), filters.end(), [&](const RecordFilter& f) { return f.matches(r, labels); }))
      out.push_back(r);
  return out;
}

}  // namespace attn
