#include "report/views_points.hpp"

#include <algorithm>
#include <cmath>

namespace attn {
namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

std::vector<ViewPoint> fold_seeds(const std::vector<CaseResult>& records, const RecordLabels& labels) {
  std::vector<ViewPoint> points;
  std::map<std::pair<std::string, std::string>, size_t> index;
  std::vector<std::vector<double>> times, errors;
  for (const auto& r : records) {
    const std::string config = labels.config(r), shape = shape_key(r);
    auto [it, fresh] = index.emplace(std::make_pair(config, shape), points.size());
    if (fresh) {
      points.push_back({.config = config, .shape = shape, .family_key = shape_key_without_n(r), .first = &r});
      points.back().status = r.status;
      times.emplace_back();
      errors.emplace_back();
    }
    ViewPoint& p = points[it->second];
    ++p.records;
    if (r.status != "ok") continue;
    if (p.seeds == 0) {
      p.first = &r;
      p.status = "ok";
    }
    ++p.seeds;
    times[it->second].push_back(r.time_ms.median);
    if (r.error && std::isfinite(r.error->rel_fro)) errors[it->second].push_back(r.error->rel_fro);
    const double mib = static_cast<double>(r.peak_workspace_bytes) / (1024.0 * 1024.0);
    p.peak_mib = std::max(p.peak_mib.value_or(0.0), mib);
  }
  for (size_t i = 0; i < points.size(); ++i) {
    if (!times[i].empty()) points[i].time_ms = median_of(times[i]);
    const auto& e = errors[i];
    if (e.empty()) continue;
    double mean = 0;
    for (double v : e) mean += v;
    mean /= static_cast<double>(e.size());
    points[i].error = mean;
    if (e.size() > 1) {
      double ss = 0;
      for (double v : e) ss += (v - mean) * (v - mean);
      points[i].error_std = std::sqrt(ss / static_cast<double>(e.size() - 1));
    }
  }
  return points;
}

std::map<std::string, std::map<std::string, const ViewPoint*>> baselines_by_shape(const std::vector<ViewPoint>& points) {
  std::map<std::string, std::map<std::string, const ViewPoint*>> out;
  for (const auto& p : points) {
    const std::string& method = p.first->method;
    if (method != "exact" && method != "flash") continue;
    if (!p.time_ms) continue;
    out[p.shape].emplace(method, &p);  // keeps the first one
  }
  return out;
}

}  // namespace attn
