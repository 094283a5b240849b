// Per batch: the per-sample proposal constants first (BH or lse Lmu, logprop), in double; then tiles
// of kTile queries: L[:, tile] is filled sample by sample (contiguous reads of the [P, N] inputs; a
// per-query loop would stride by N through every row) and each query's softmax over the P samples
// runs on a contiguous row with the vectorized exponential of softmax_rows.
#include "ops/cpu/mis_weights.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/cpu/vec_math.hpp"

namespace attn::ops::cpu {

namespace {
constexpr int64_t kTile = 64;
constexpr double kLog2e = 1.4426950408889634074;
}  // namespace

template <class T>
void mis_weights(const Context& ctx, const MisShape& s, const T* lq, const T* lse_k, const T* lmu, const T* aux, T* out) {
  const int64_t c_n = s.proposals, p_n = s.samples * s.proposals, n = s.queries;
  // Repeating the C proposals S times adds log S to the log-sum-exp over proposals (the code's mu.repeat).
  const double log_s = std::log(static_cast<double>(s.samples));
  const int64_t tiles = (n + kTile - 1) / kTile;
  // Element (c, query) of a batch's aux block in either layout.
  auto at = [&](int64_t c, int64_t q) { return s.aux_query_major ? q * c_n + c : c * n + q; };
  std::vector<double> logprop(static_cast<size_t>(p_n)), bh(static_cast<size_t>(p_n));
  for (int64_t b = 0; b < s.batch; ++b) {
    const T* mu = lmu + b * p_n * c_n;
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
      std::vector<double> mean_aux(static_cast<size_t>(kTile));
#pragma omp for schedule(static)
      for (int64_t t = 0; t < tiles; ++t) {
        const int64_t q0 = t * kTile, len = std::min(kTile, n - q0);
        T* tile = ob + q0 * p_n;  // [len, P], filled in place: L first, then its softmax per query
        if (s.kind == MisKind::opt) {
          std::fill(mean_aux.begin(), mean_aux.end(), 0.0);
          for (int64_t c = 0; c < c_n; ++c)
            for (int64_t i = 0; i < len; ++i) mean_aux[i] += auxb[at(c, q0 + i)];
          for (int64_t i = 0; i < len; ++i) mean_aux[i] /= static_cast<double>(c_n);
        }
        for (int64_t p = 0; p < p_n; ++p) {
          const int64_t c = p % c_n;
          const T* lq_row = lqb + p * n + q0;

          const double base = static_cast<double>(lk[p]) - logprop[p];
          for (int64_t i = 0; i < len; ++i) {
            double log_alpha = 0;
            if (s.kind == MisKind::opt)
              log_alpha = std::log(std::max(bh[p] + s.alpha_coeff * (auxb[at(c, q0 + i)] - mean_aux[i]), 1e-8));
            else if (s.kind == MisKind::biased)
              log_alpha = auxb[at(c, q0 + i)];
            tile[i * p_n + p] = static_cast<T>(log_alpha + lq_row[i] + base);
          }
        }
        for (int64_t i = 0; i < len; ++i) {
          T* row = tile + i * p_n;
          const T mx = max_of(row, p_n);
          const T sum = exp2_affine_sum(row, p_n, static_cast<T>(kLog2e), static_cast<T>(kLog2e * mx));
          const T inv = T(1) / sum;
          for (int64_t p = 0; p < p_n; ++p) row[p] *= inv;
        }
      }
    }
  }
}

template void mis_weights<float>(const Context&, const MisShape&, const float*, const float*, const float*,
                                 const float*, float*);
template void mis_weights<double>(const Context&, const MisShape&, const double*, const double*, const double*,
                                  const double*, double*);

}  // namespace attn::ops::cpu
