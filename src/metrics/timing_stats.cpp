// Summary statistics of timing samples. The raw samples travel with the summary because `compare`
// runs a rank test on them and a reader may want other quantiles.
#include "metrics/timing_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace attn {

TimingStats summarize(std::vector<double> samples_ms) {
  TimingStats t;
  t.samples = samples_ms;  // kept in measurement order (drift over repetitions stays visible)
  const auto n = samples_ms.size();
  if (n == 0) return t;
  std::sort(samples_ms.begin(), samples_ms.end());
  t.min = samples_ms.front();
  t.max = samples_ms.back();
  t.median = n % 2 ? samples_ms[n / 2] : 0.5 * (samples_ms[n / 2 - 1] + samples_ms[n / 2]);
  t.mean = std::accumulate(samples_ms.begin(), samples_ms.end(), 0.0) / static_cast<double>(n);
  if (n > 1) {
    double ss = 0;
    for (double s : samples_ms) ss += (s - t.mean) * (s - t.mean);
    t.stddev = std::sqrt(ss / static_cast<double>(n - 1));
  }
  t.cv = t.mean != 0 ? t.stddev / t.mean : 0;
  return t;
}

nlohmann::json to_json(const TimingStats& t) {
  return {{"median", t.median}, {"mean", t.mean},     {"min", t.min},         {"max", t.max},
          {"stddev", t.stddev}, {"cv", t.cv},         {"samples", t.samples}};
}

TimingStats timing_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw UsageError("time_ms: expected an object");
  TimingStats t;
  // The stored statistics are read back as written (not recomputed), so a report round-trips exactly.
  const auto number = [&](const char* key, double& out) {
    if (!j.contains(key) || j[key].is_null()) return;  // a case that never ran has no timings
    if (!j[key].is_number()) throw UsageError(fmt::format("time_ms.{}: expected a number", key));
    out = j[key].get<double>();
  };
  number("median", t.median);
  number("mean", t.mean);
  number("min", t.min);
  number("max", t.max);
  number("stddev", t.stddev);
  number("cv", t.cv);
  if (j.contains("samples") && !j["samples"].is_null()) {
    if (!j["samples"].is_array()) throw UsageError("time_ms.samples: expected an array");
    for (std::size_t i = 0; i < j["samples"].size(); ++i) {
      const auto& s = j["samples"][i];
      if (!s.is_number()) throw UsageError(fmt::format("time_ms.samples[{}]: expected a number", i));
      t.samples.push_back(s.get<double>());
    }
  }
  return t;
}

}  // namespace attn
