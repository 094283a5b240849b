// Output error of an approximation against a reference (DESIGN.md §5).
#pragma once

#include <cstdint>

#include <nlohmann/json_fwd.hpp>

namespace attn {

struct ErrorMetrics {
  double rel_fro = 0;      // ||A - R||_F / ||R||_F
  double max_abs = 0;      // max |A - R|
  double mean_cos = 0;     // mean over rows of cos(A_i, R_i)
  double min_cos = 0;      // worst row
  int64_t nonfinite = 0;   // NaN/Inf elements of the approximation (any > 0 means status nonfinite)
  // min over a scalar a of ||a A - R||_F / ||R||_F: the error left once a global output scale is
  // forgiven (kernel.md 0.2 item 3), the fair number for outputs that are not row-normalized (SOFT,
  // causal Luna); a = 1 is one choice, so it never exceeds rel_fro.
  double scale_inv_rel_fro = 0;
};

// approx: fp32, ref: fp64, both `rows` rows of `cols` (all heads stacked). Accumulates in fp64.
ErrorMetrics compare_outputs(const float* approx, const double* ref, int64_t rows, int64_t cols);
ErrorMetrics compare_outputs(const float* approx, const float* ref, int64_t rows, int64_t cols);
nlohmann::json to_json(const ErrorMetrics& e);

}  // namespace attn
