#include "report/views.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "report/tables_pivot.hpp"
#include "report/views_points.hpp"

namespace attn {
namespace {

// The shape keys worth a column: N always (unless dropped), the others only when they vary.
std::vector<std::string> shape_columns(const std::vector<CaseResult>& records, const RecordLabels& labels, bool with_n) {
  std::vector<std::string> cols;
  for (const char* k : {"input", "N", "d", "B", "H", "causal", "dtype", "device"}) {
    const std::string key = k;
    if (key == "N") {
      if (with_n) cols.push_back(key);
      continue;
    }
    std::set<std::string> values;
    for (const auto& r : records) values.insert(record_key(r, key, labels));
    if (values.size() > 1 || key == "input") cols.push_back(key);
  }
  return cols;
}

Cell optional_number(const std::optional<double>& v) { return v ? Cell::number(*v) : Cell::empty(); }

Cell error_cell(const ViewPoint& p) {
  if (!p.error) return Cell::empty();
  Cell c = Cell::number(*p.error);
  if (p.error_std) {
    c.spread = p.error_std;
    c.count = p.seeds;
  }
  return c;
}

Cell ratio_cell(const ViewPoint& p, const std::map<std::string, const ViewPoint*>* base, const char* method) {
  if (!p.time_ms || !base) return Cell::empty();
  const auto it = base->find(method);
  if (it == base->end() || !it->second->time_ms || *p.time_ms <= 0) return Cell::empty();
  return Cell::number(*it->second->time_ms / *p.time_ms);
}

std::vector<Cell> label_cells(const ViewPoint& p, const std::vector<std::string>& cols, const RecordLabels& labels) {
  std::vector<Cell> row;
  for (const auto& k : cols) {
    const std::string v = record_key(*p.first, k, labels);
    const bool count = k == "N" || k == "d" || k == "B" || k == "H";  // right-aligned numbers
    row.push_back(count ? Cell::number(std::stod(v)) : Cell::label(v));
  }
  return row;
}

// Sort points by their shape columns (numerically where numeric), then by first appearance.
void sort_points(std::vector<const ViewPoint*>& pts, const std::vector<std::string>& cols, const RecordLabels& labels) {
  std::vector<std::map<std::string, size_t>> rank(cols.size());
  for (size_t c = 0; c < cols.size(); ++c) {
    std::vector<std::string> values;
    for (const auto* p : pts) values.push_back(record_key(*p->first, cols[c], labels));
    const auto order = ordered_values(values);
    for (size_t i = 0; i < order.size(); ++i) rank[c][order[i]] = i;
  }
  std::stable_sort(pts.begin(), pts.end(), [&](const ViewPoint* a, const ViewPoint* b) {
    for (size_t c = 0; c < cols.size(); ++c) {
      const auto ra = rank[c][record_key(*a->first, cols[c], labels)], rb = rank[c][record_key(*b->first, cols[c], labels)];
      if (ra != rb) return ra < rb;
    }
    return false;
  });
}

}  // namespace

Table summary_view(const std::vector<CaseResult>& records) {
  const RecordLabels labels(records);
  const auto points = fold_seeds(records, labels);
  const auto base = baselines_by_shape(points);
  const auto cols = shape_columns(records, labels, true);
  std::vector<const ViewPoint*> pts;
  for (const auto& p : points) pts.push_back(&p);
  sort_points(pts, cols, labels);

  Table t;
  t.title = "Summary per configuration and shape";
  t.columns = cols;
  t.columns.insert(t.columns.begin(), "config");
  for (const char* c : {"seeds", "status", "median ms", "peak MiB", "rel_fro", "speed-up vs exact", "speed-up vs flash"})
    t.columns.push_back(c);
  for (const auto* p : pts) {
    std::vector<Cell> row = {Cell::label(p->config)};
    for (auto& c : label_cells(*p, cols, labels)) row.push_back(c);
    const auto b = base.find(p->shape);
    const auto* bm = b == base.end() ? nullptr : &b->second;
    row.push_back(Cell::number(p->seeds));
    row.push_back(Cell::label(p->status));
    row.push_back(optional_number(p->time_ms));
    row.push_back(optional_number(p->peak_mib));
    row.push_back(error_cell(*p));
    row.push_back(ratio_cell(*p, bm, "exact"));
    row.push_back(ratio_cell(*p, bm, "flash"));
    t.rows.push_back(std::move(row));
  }
  t.notes.push_back(
      "median ms: median over seeds of each case's median; rel_fro: mean ± std over seeds; speed-up: baseline time / "
      "this time at the same shape (> 1 is faster).");
  return t;
}

Table pareto_view(const std::vector<CaseResult>& records) {
  const RecordLabels labels(records);
  const auto points = fold_seeds(records, labels);
  const auto cols = shape_columns(records, labels, true);
  // q dominates p on (error, cost): no worse on both, better on one.
  const auto dominated = [&](const ViewPoint& p, auto cost) {
    return std::any_of(points.begin(), points.end(), [&](const ViewPoint& q) {
      if (&q == &p || q.shape != p.shape || !q.error || !cost(q)) return false;
      const bool no_worse = *q.error <= *p.error && *cost(q) <= *cost(p);
      const bool better = *q.error < *p.error || *cost(q) < *cost(p);
      return no_worse && better;
    });
  };
  const auto time = [](const ViewPoint& v) { return v.time_ms; };
  const auto memory = [](const ViewPoint& v) { return v.peak_mib; };
  std::vector<const ViewPoint*> front;
  std::map<const ViewPoint*, std::string> which;
  for (const auto& p : points) {
    if (!p.error || !p.time_ms || !p.peak_mib) continue;
    const bool on_time = !dominated(p, time), on_memory = !dominated(p, memory);
    if (!on_time && !on_memory) continue;
    front.push_back(&p);
    which[&p] = on_time && on_memory ? "time, memory" : on_time ? "time" : "memory";
  }
  sort_points(front, cols, labels);
  // Shapes in that order; within a shape, fastest first.
  std::map<std::string, size_t> shape_rank;
  for (const auto* p : front) shape_rank.emplace(p->shape, shape_rank.size());
  std::stable_sort(front.begin(), front.end(), [&](const ViewPoint* a, const ViewPoint* b) {
    const size_t ra = shape_rank[a->shape], rb = shape_rank[b->shape];
    return ra != rb ? ra < rb : *a->time_ms < *b->time_ms;
  });

  Table t;
  t.title = "Pareto front per shape: (error, time) and (error, memory)";
  t.columns = cols;
  for (const char* c : {"config", "rel_fro", "median ms", "peak MiB", "front"}) t.columns.push_back(c);
  for (const auto* p : front) {
    std::vector<Cell> row = label_cells(*p, cols, labels);
    row.push_back(Cell::label(p->config));
    row.push_back(error_cell(*p));
    row.push_back(optional_number(p->time_ms));
    row.push_back(optional_number(p->peak_mib));
    row.push_back(Cell::label(which[p]));
    t.rows.push_back(std::move(row));
  }
  t.notes.push_back("Listed: configurations that no other configuration at the same shape beats on error and on time "
                    "(front 'time') or on error and on memory (front 'memory').");
  return t;
}

Table crossover_view(const std::vector<CaseResult>& records) {
  const RecordLabels labels(records);
  const auto points = fold_seeds(records, labels);
  const auto base = baselines_by_shape(points);
  const auto cols = shape_columns(records, labels, false);

  // Group points by (config, shape family); each group is a curve over N.
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::vector<const ViewPoint*>> curves;
  for (const auto& p : points) {
    const auto key = std::make_pair(p.config, p.family_key);
    if (!curves.count(key)) order.push_back(key);
    curves[key].push_back(&p);
  }
  // The smallest N from which this curve is faster than `method` at every larger N where both were
  // timed: "≤N0" when it is faster everywhere measured, "never" when it is not faster at the largest N.
  const auto crossover = [&](const std::vector<const ViewPoint*>& curve, const char* method) -> Cell {
    if (curve.front()->first->method == method) return Cell::label("-");
    std::vector<std::pair<int64_t, bool>> faster;  // (N, faster there)
    for (const auto* p : curve) {
      const auto b = base.find(p->shape);
      if (!p->time_ms || b == base.end() || !b->second.count(method)) continue;
      faster.emplace_back(p->first->input.seq_len, *p->time_ms < *b->second.at(method)->time_ms);
    }
    if (faster.empty()) return Cell::label("n/a");
    std::sort(faster.begin(), faster.end());
    if (!faster.back().second) return Cell::label("never");
    size_t i = faster.size() - 1;
    while (i > 0 && faster[i - 1].second) --i;
    Cell c = Cell::number(static_cast<double>(faster[i].first));
    if (i == 0) c.text = fmt::format("\xE2\x89\xA4{}", faster[i].first);  // faster already at the smallest N
    return c;
  };

  Table t;
  t.title = "Crossover: smallest N from which a configuration is faster than flash / exact";
  t.columns = {"config"};
  t.columns.insert(t.columns.end(), cols.begin(), cols.end());
  for (const char* c : {"N measured", "faster than flash from N", "faster than exact from N", "speed-up vs flash at largest N"})
    t.columns.push_back(c);
  for (const auto& key : order) {
    auto curve = curves[key];
    std::sort(curve.begin(), curve.end(), [](auto* a, auto* b) { return a->first->input.seq_len < b->first->input.seq_len; });
    std::vector<Cell> row = {Cell::label(key.first)};
    for (auto& c : label_cells(*curve.front(), cols, labels)) row.push_back(c);
    const int64_t lo = curve.front()->first->input.seq_len, hi = curve.back()->first->input.seq_len;
    row.push_back(Cell::label(lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi)));
    row.push_back(crossover(curve, "flash"));
    row.push_back(crossover(curve, "exact"));
    const auto b = base.find(curve.back()->shape);
    row.push_back(ratio_cell(*curve.back(), b == base.end() ? nullptr : &b->second, "flash"));
    t.rows.push_back(std::move(row));
  }
  t.notes.push_back("'≤N' means faster already at the smallest N measured; 'never' means not faster at the largest N "
                    "measured. Times are medians; a crossover on a noisy machine moves between runs.");
  return t;
}

Table report_view(std::string_view name, const std::vector<CaseResult>& records) {
  if (name == "summary") return summary_view(records);
  if (name == "pareto") return pareto_view(records);
  if (name == "crossover") return crossover_view(records);
  throw UsageError(fmt::format("--view: unknown view '{}' (summary, pareto, crossover)", name));
}

}  // namespace attn
