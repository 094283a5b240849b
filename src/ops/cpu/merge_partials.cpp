// One row at a time, in double for the weights: both masses are rescaled by their common maximum
// before exponentiating, so neither overflows whatever the logit scale.
#include "ops/cpu/merge_partials.hpp"

#include <algorithm>
#include <cmath>

namespace attn::ops::cpu {

template <class T>
void merge_partials(const Context& ctx, const MergeShape& s, const T* o1, const T* lse1, const T* num2, const T* den2,
                    const T* log_scale2, const T* head_scale2, const T* sub_num, const T* sub_den, T* out) {
  const int64_t d = s.dim, groups = (s.rows + s.group - 1) / s.group;
  const int threads = std::max(1, ctx.threads);
#pragma omp parallel for num_threads(threads) schedule(static) if (s.batch * s.rows * d > 16384)
  for (int64_t r = 0; r < s.batch * s.rows; ++r) {
    const int64_t b = r / s.rows, g = b * groups + (r % s.rows) / s.group;
    const double a = static_cast<double>(lse1[r]);
    double c = log_scale2 != nullptr ? static_cast<double>(log_scale2[g]) : 0.0;
    if (head_scale2 != nullptr) c += static_cast<double>(head_scale2[b]);
    const bool has1 = std::isfinite(a), has2 = std::isfinite(c);
    const double m = has1 && has2 ? std::max(a, c) : has1 ? a : c;
    const double w1 = has1 ? std::exp(a - m) : 0.0, w2 = has2 ? std::exp(c - m) : 0.0;
    double den = den2 != nullptr ? static_cast<double>(den2[g]) : 1.0;
    if (sub_den != nullptr) den -= static_cast<double>(sub_den[r]);
    const double total = w1 + (has2 ? w2 * std::max(den, s.den_floor) : 0.0);
    const double inv = total > 0 && std::isfinite(total) ? 1.0 / total : 0.0;
    const T* x1 = o1 + r * d;
    const T* x2 = num2 + g * d;
    const T* sub = sub_num != nullptr ? sub_num + r * d : nullptr;
    T* o = out + r * d;
    for (int64_t c2 = 0; c2 < d; ++c2) {
      const double v2 = static_cast<double>(x2[c2]) - (sub != nullptr ? static_cast<double>(sub[c2]) : 0.0);
      o[c2] = static_cast<T>(((has1 ? w1 * static_cast<double>(x1[c2]) : 0.0) + (has2 ? w2 * v2 : 0.0)) * inv);
    }
  }
}

template void merge_partials<float>(const Context&, const MergeShape&, const float*, const float*, const float*,
                                    const float*, const float*, const float*, const float*, const float*, float*);
template void merge_partials<double>(const Context&, const MergeShape&, const double*, const double*, const double*,
                                     const double*, const double*, const double*, const double*, const double*, double*);

}  // namespace attn::ops::cpu
