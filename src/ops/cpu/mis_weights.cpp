// Per batch: the per-sample proposal constants first (BH or lse Lmu, logprop), then one pass per
// query computing L[:, n] and its softmax over the P = S C samples, in double.
#include "ops/cpu/mis_weights.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace attn::ops::cpu {

template <class T>
void mis_weights(const Context& ctx, const MisShape& s, const T* lq, const T* lse_k, const T* lmu, const T* aux, T* out) {
  const int64_t c_n = s.proposals, p_n = s.samples * s.proposals, n = s.queries;
  // Repeating the C proposals S times adds log S to the log-sum-exp over proposals (the code's mu.repeat).
  const double log_s = std::log(static_cast<double>(s.samples));
  for (int64_t b = 0; b < s.batch; ++b) {
    const T* mu = lmu + b * p_n * c_n;
    std::vector<double> logprop(static_cast<size_t>(p_n)), bh(static_cast<size_t>(p_n));
    for (int64_t p = 0; p < p_n; ++p) {
      const T* row = mu + p * c_n;
      double mx = -HUGE_VAL;
      for (int64_t e = 0; e < c_n; ++e) mx = std::max(mx, static_cast<double>(row[e]));
      double acc = 0;
      for (int64_t e = 0; e < c_n; ++e) acc += std::exp(row[e] - mx);
      const double lse = mx + std::log(acc) + log_s;
      const double diag = row[p % c_n];
      bh[p] = std::exp(diag - lse);
      logprop[p] = s.kind == MisKind::opt ? diag : lse;
    }
    const T* lqb = lq + b * p_n * n;
    const T* auxb = aux ? aux + b * c_n * n : nullptr;
    const T* lk = lse_k + b * p_n;
    T* ob = out + b * n * p_n;
#pragma omp parallel num_threads(n * p_n > 32768 ? std::max(1, ctx.threads) : 1)
    {
      std::vector<double> l(static_cast<size_t>(p_n));
#pragma omp for schedule(static)
      for (int64_t q = 0; q < n; ++q) {
        double mean_aux = 0;
        if (s.kind == MisKind::opt) {
          for (int64_t c = 0; c < c_n; ++c) mean_aux += auxb[c * n + q];
          mean_aux /= static_cast<double>(c_n);
        }
        double mx = -HUGE_VAL;
        for (int64_t p = 0; p < p_n; ++p) {
          const int64_t c = p % c_n;
          double log_alpha = 0;
          if (s.kind == MisKind::opt)
            log_alpha = std::log(std::max(bh[p] + s.alpha_coeff * (auxb[c * n + q] - mean_aux), 1e-8));
          else if (s.kind == MisKind::biased)
            log_alpha = auxb[c * n + q];
          l[p] = log_alpha + lqb[p * n + q] + lk[p] - logprop[p];
          mx = std::max(mx, l[p]);
        }
        double sum = 0;
        for (int64_t p = 0; p < p_n; ++p) sum += (l[p] = std::exp(l[p] - mx));
        for (int64_t p = 0; p < p_n; ++p) ob[q * p_n + p] = static_cast<T>(l[p] / sum);
      }
    }
  }
}

template void mis_weights<float>(const Context&, const MisShape&, const float*, const float*, const float*,
                                 const float*, float*);
template void mis_weights<double>(const Context&, const MisShape&, const double*, const double*, const double*,
                                  const double*, double*);

}  // namespace attn::ops::cpu
