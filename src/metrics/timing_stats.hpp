// Summary statistics of timing samples (raw samples are kept too).
#pragma once

#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace attn {

struct TimingStats {
  double median = 0, mean = 0, min = 0, max = 0, stddev = 0, cv = 0;  // stddev is the sample (n-1) one
  std::vector<double> samples;
};

TimingStats summarize(std::vector<double> samples_ms);
nlohmann::json to_json(const TimingStats& t);
TimingStats timing_from_json(const nlohmann::json& j);

}  // namespace attn
