// Per batch: the C-length proposal constants first (BH_c or lse_c' Lmu, logprop_c), then one pass
// per query computing L[:, n] and its softmax over proposals, in double.
#include "ops/cpu/mis_weights.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace attn::ops::cpu {

template <class T>
void mis_weights(const Context& ctx, const MisShape& s, const T* lq, const T* lse_k, const T* lmu, const T* aux, T* out) {
  const int64_t c_n = s.proposals, n = s.queries;
  for (int64_t b = 0; b < s.batch; ++b) {
    const T* mu = lmu + b * c_n * c_n;
    std::vector<double> logprop(static_cast<size_t>(c_n)), bh(static_cast<size_t>(c_n));
    for (int64_t c = 0; c < c_n; ++c) {
      double mx = -HUGE_VAL;
      for (int64_t e = 0; e < c_n; ++e) mx = std::max(mx, static_cast<double>(mu[c * c_n + e]));
      double acc = 0;
      for (int64_t e = 0; e < c_n; ++e) acc += std::exp(mu[c * c_n + e] - mx);
      const double lse = mx + std::log(acc);
      const double diag = mu[c * c_n + c];
      bh[c] = std::exp(diag - lse);
      logprop[c] = s.kind == MisKind::opt ? diag : lse;
    }
    const T* lqb = lq + b * c_n * n;
    const T* auxb = aux ? aux + b * c_n * n : nullptr;
    const T* lk = lse_k + b * c_n;
    T* ob = out + b * n * c_n;
#pragma omp parallel num_threads(n * c_n > 32768 ? std::max(1, ctx.threads) : 1)
    {
      std::vector<double> l(static_cast<size_t>(c_n));
#pragma omp for schedule(static)
      for (int64_t q = 0; q < n; ++q) {
        double mean_aux = 0;
        if (s.kind == MisKind::opt) {
          for (int64_t c = 0; c < c_n; ++c) mean_aux += auxb[c * n + q];
          mean_aux /= static_cast<double>(c_n);
        }
        double mx = -HUGE_VAL;
        for (int64_t c = 0; c < c_n; ++c) {
          double log_alpha = 0;
          if (s.kind == MisKind::opt)
            log_alpha = std::log(std::max(bh[c] + s.alpha_coeff * (auxb[c * n + q] - mean_aux), 1e-8));
          else if (s.kind == MisKind::biased)
            log_alpha = auxb[c * n + q];
          l[c] = log_alpha + lqb[c * n + q] + lk[c] - logprop[c];
          mx = std::max(mx, l[c]);
        }
        double sum = 0;
        for (int64_t c = 0; c < c_n; ++c) sum += (l[c] = std::exp(l[c] - mx));
        for (int64_t c = 0; c < c_n; ++c) ob[q * c_n + c] = static_cast<T>(l[c] / sum);
      }
    }
  }
}

template void mis_weights<float>(const Context&, const MisShape&, const float*, const float*, const float*,
                                 const float*, float*);
template void mis_weights<double>(const Context&, const MisShape&, const double*, const double*, const double*,
                                  const double*, double*);

}  // namespace attn::ops::cpu
