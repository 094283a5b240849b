#include "report/tables_pivot.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"

namespace attn {
namespace {

using Tuple = std::vector<std::string>;

std::optional<double> as_number(const std::string& s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

Tuple key_tuple(const CaseResult& r, const std::vector<std::string>& keys, const RecordLabels& labels) {
  Tuple t;
  for (const auto& k : keys) t.push_back(record_key(r, k, labels));
  return t;
}

// Sort tuples component by component, each component in ordered_values() order.
std::vector<Tuple> ordered_tuples(const std::vector<Tuple>& seen) {
  if (seen.empty()) return {};
  const size_t width = seen.front().size();
  std::vector<std::map<std::string, size_t>> rank(width);
  for (size_t c = 0; c < width; ++c) {
    std::vector<std::string> values;
    for (const auto& t : seen) values.push_back(t[c]);
    const auto order = ordered_values(values);
    for (size_t i = 0; i < order.size(); ++i) rank[c][order[i]] = i;
  }
  std::vector<Tuple> out = seen;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  std::sort(out.begin(), out.end(), [&](const Tuple& a, const Tuple& b) {
    for (size_t c = 0; c < width; ++c)
      if (a[c] != b[c]) return rank[c][a[c]] < rank[c][b[c]];
    return false;
  });
  return out;
}

// Keys whose value reads better with its name: "N=1024" rather than "1024" as a column header.
std::string header_part(const std::string& key, const std::string& value) {
  static const char* kNamed[] = {"N", "d", "B", "H", "seed", "rank", "sparsity", "temperature", "realized_rank",
                                 "realized_density"};
  for (const char* k : kNamed)
    if (key == k) return fmt::format("{}={}", key, value);
  if (key.rfind("params.", 0) == 0) return fmt::format("{}={}", key.substr(7), value);
  return value.empty() ? "-" : value;
}

// The first dimension (in this order) that varies among the records of some cell, if any.
std::optional<std::string> varying_dimension(const std::vector<CaseResult>& records, const std::vector<std::string>& keys,
                                             const RecordLabels& labels) {
  static const char* kCandidates[] = {"method", "budget", "variant", "input", "N", "d", "B", "H", "causal", "dtype", "device"};
  for (const char* dim : kCandidates) {
    if (std::find(keys.begin(), keys.end(), dim) != keys.end()) continue;
    std::map<Tuple, std::string> first;
    for (const auto& r : records) {
      const Tuple t = key_tuple(r, keys, labels);
      const std::string v = record_key(r, dim, labels);
      const auto [it, fresh] = first.emplace(t, v);
      if (!fresh && it->second != v) return std::string(dim);
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> ordered_values(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values)
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  const bool numeric = std::all_of(out.begin(), out.end(), [](const std::string& s) { return as_number(s).has_value(); });
  if (numeric) std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return *as_number(a) < *as_number(b); });
  return out;
}

Cell aggregate_cell(const std::vector<double>& values, const std::string& agg) {
  if (values.empty()) return Cell::empty();
  Cell c;
  if (agg == "median") {
    std::vector<double> v = values;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    c.value = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  } else if (agg == "min") {
    c.value = *std::min_element(values.begin(), values.end());
  } else if (agg == "max") {
    c.value = *std::max_element(values.begin(), values.end());
  } else if (agg == "mean") {
    double sum = 0;
    for (double v : values) sum += v;
    const double mean = sum / static_cast<double>(values.size());
    c.value = mean;
    if (values.size() > 1) {
      double ss = 0;
      for (double v : values) ss += (v - mean) * (v - mean);
      c.spread = std::sqrt(ss / static_cast<double>(values.size() - 1));
      c.count = static_cast<int>(values.size());
    }
  } else {
    throw UsageError(fmt::format("--agg: unknown aggregate '{}' (mean, median, min, max)", agg));
  }
  return c;
}

Table pivot_table(const std::vector<CaseResult>& records, const PivotOptions& options) {
  check_metric(options.value);
  aggregate_cell({1.0}, options.agg);  // validates the name
  for (const auto& k : options.rows) check_record_key(k);
  for (const auto& k : options.cols) check_record_key(k);
  const RecordLabels labels(records);

  std::vector<std::string> rows = options.rows;
  std::vector<std::string> added;
  for (;;) {
    std::vector<std::string> keys = rows;
    keys.insert(keys.end(), options.cols.begin(), options.cols.end());
    const auto dim = varying_dimension(records, keys, labels);
    if (!dim) break;
    rows.push_back(*dim);
    added.push_back(*dim);
  }

  std::vector<Tuple> row_seen, col_seen;
  std::map<std::pair<Tuple, Tuple>, std::vector<const CaseResult*>> cells;
  for (const auto& r : records) {
    Tuple rt = key_tuple(r, rows, labels), ct = key_tuple(r, options.cols, labels);
    row_seen.push_back(rt);
    col_seen.push_back(ct);
    cells[{rt, ct}].push_back(&r);
  }
  const auto row_order = ordered_tuples(row_seen);
  const auto col_order = ordered_tuples(col_seen);

  Table t;
  t.title = fmt::format("{} ({})", options.value, options.agg == "mean" ? "mean ± std over seeds" : options.agg + " over seeds");
  t.columns = rows;
  for (const auto& ct : col_order) {
    std::vector<std::string> parts;
    for (size_t i = 0; i < ct.size(); ++i) parts.push_back(header_part(options.cols[i], ct[i]));
    std::string h;
    for (const auto& p : parts) h += (h.empty() ? "" : " ") + p;
    t.columns.push_back(h.empty() ? options.value : h);
  }
  for (const auto& rt : row_order) {
    std::vector<Cell> row;
    for (const auto& v : rt) row.push_back(Cell::label(v.empty() ? "-" : v));
    for (const auto& ct : col_order) {
      const auto it = cells.find({rt, ct});
      if (it == cells.end()) {
        row.push_back(Cell::empty());
        continue;
      }
      std::vector<double> values;
      std::map<std::string, int> statuses;
      for (const CaseResult* r : it->second) {
        if (const auto v = record_metric(*r, options.value); v && std::isfinite(*v)) values.push_back(*v);
        ++statuses[r->status];
      }
      if (!values.empty()) {
        row.push_back(aggregate_cell(values, options.agg));
      } else {
        // No number: show why (the commonest status), unless the records were fine and simply lack it.
        const auto top = std::max_element(statuses.begin(), statuses.end(),
                                          [](const auto& a, const auto& b) { return a.second < b.second; });
        row.push_back(top->first == "ok" ? Cell::empty() : Cell::label(top->first));
      }
    }
    t.rows.push_back(std::move(row));
  }
  if (!added.empty()) {
    std::string list;
    for (const auto& a : added) list += (list.empty() ? "" : ", ") + a;
    t.notes.push_back(fmt::format("Rows are also split by {} (it varies among the records; use --filter to fix it).", list));
  }
  return t;
}

}  // namespace attn
