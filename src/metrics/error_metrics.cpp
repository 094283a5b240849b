// Output error against a reference (DESIGN.md §5). Everything accumulates in fp64 and runs serially:
// the metrics must not depend on the thread count, and one pass over B*H*N*d elements costs far
// less than the forward it judges.
#include "metrics/error_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace attn {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Cosine of one row pair. A row that is zero in both outputs is a perfect match (cos 1); a row that
// is zero in only one of them carries no direction at all, so it gets the neutral 0.
double row_cosine(double dot, double norm2_a, double norm2_r) {
  if (norm2_a == 0 && norm2_r == 0) return 1.0;
  if (norm2_a == 0 || norm2_r == 0) return 0.0;
  const double c = dot / (std::sqrt(norm2_a) * std::sqrt(norm2_r));
  return std::clamp(c, -1.0, 1.0);  // rounding may push a perfect match a hair past 1
}

template <typename Ref>
ErrorMetrics compare(const float* approx, const Ref* ref, int64_t rows, int64_t cols) {
  ErrorMetrics m;
  double diff2 = 0, ref2 = 0, approx2 = 0, cross = 0, max_abs = 0, cos_sum = 0, cos_min = 1.0;
  for (int64_t i = 0; i < rows; ++i) {
    const float* a = approx + i * cols;
    const Ref* r = ref + i * cols;
    double dot = 0, a2 = 0, r2 = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const double av = a[j];
      const double rv = static_cast<double>(r[j]);
      if (!std::isfinite(av)) {
        ++m.nonfinite;
        continue;
      }
      const double d = av - rv;
      diff2 += d * d;
      max_abs = std::max(max_abs, std::abs(d));
      dot += av * rv;
      a2 += av * av;
      r2 += rv * rv;
    }
    ref2 += r2;
    approx2 += a2;
    cross += dot;
    const double c = row_cosine(dot, a2, r2);
    cos_sum += c;
    cos_min = std::min(cos_min, c);
  }
  if (m.nonfinite > 0) {
    // Numbers computed over the finite entries only would flatter a broken output; the status
    // `nonfinite` is the verdict and the error fields say "no value" (null in JSON).
    m.rel_fro = m.max_abs = m.mean_cos = m.min_cos = m.scale_inv_rel_fro = kNaN;
    return m;
  }
  // A zero reference has no scale to be relative to: report the absolute ||A - R||_F instead
  // (documented in docs/report-schema.md), which is still 0 exactly when the outputs agree.
  m.rel_fro = ref2 > 0 ? std::sqrt(diff2) / std::sqrt(ref2) : std::sqrt(diff2);
  // With a* = <A,R>/||A||^2, ||a*A - R||^2 = ||R||^2 (1 - cos^2(A, R)); a zero A leaves all of R.
  if (ref2 > 0) {
    const double cos2 = approx2 > 0 ? cross * cross / (approx2 * ref2) : 0.0;
    m.scale_inv_rel_fro = std::min(m.rel_fro, std::sqrt(std::max(0.0, 1.0 - cos2)));
  } else {
    m.scale_inv_rel_fro = m.rel_fro;
  }
  m.max_abs = max_abs;
  m.mean_cos = rows > 0 ? cos_sum / static_cast<double>(rows) : 1.0;
  m.min_cos = rows > 0 ? cos_min : 1.0;
  return m;
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

ErrorMetrics compare_outputs(const float* approx, const double* ref, int64_t rows, int64_t cols) {
  return compare(approx, ref, rows, cols);
}

ErrorMetrics compare_outputs(const float* approx, const float* ref, int64_t rows, int64_t cols) {
  return compare(approx, ref, rows, cols);
}

nlohmann::json to_json(const ErrorMetrics& e) {
  return {{"rel_fro", number_or_null(e.rel_fro)},
          {"max_abs", number_or_null(e.max_abs)},
          {"mean_cos", number_or_null(e.mean_cos)},
          {"min_cos", number_or_null(e.min_cos)},
          {"scale_inv_rel_fro", number_or_null(e.scale_inv_rel_fro)},
          {"nonfinite", e.nonfinite}};
}

}  // namespace attn
