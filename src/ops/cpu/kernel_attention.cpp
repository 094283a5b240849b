// One query row at a time (rows in parallel), accumulating in double: the reference must be more
// accurate than what it judges.
#include "ops/cpu/kernel_attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace attn::ops::cpu {

template <class T>
void kernel_attention(const Context& ctx, const KernelAttentionShape& s, double scale, const double* weights,
                      const double* means, const double* stds, const T* q, const T* k, const T* v, T* out) {
  const int64_t n = s.seq_len, d = s.head_dim, dv = s.value_dim, nc = s.components;
  const int64_t total = s.batch * n;
#pragma omp parallel num_threads(std::max(1, ctx.threads))
  {
    std::vector<double> u(static_cast<size_t>(d)), acc(static_cast<size_t>(dv));
#pragma omp for schedule(dynamic, 16)
    for (int64_t r = 0; r < total; ++r) {
      const int64_t b = r / n, i = r % n;
      const T* qi = q + r * d;
      std::fill(acc.begin(), acc.end(), 0.0);
      double den = 0;
      const int64_t j_end = s.causal ? i + 1 : n;
      for (int64_t j = 0; j < j_end; ++j) {
        const T* kj = k + (b * n + j) * d;
        for (int64_t c = 0; c < d; ++c) u[c] = scale * (static_cast<double>(qi[c]) - kj[c]);
        double kv = 0;
        for (int64_t m = 0; m < nc; ++m) {
          double quad = 0, phase = 0;
          for (int64_t c = 0; c < d; ++c) {
            const double su = stds[m * d + c] * u[c];
            quad += su * su;
            phase += means[m * d + c] * u[c];
          }
          kv += weights[m] * std::exp(-0.5 * quad) * std::cos(phase);
        }
        den += kv;
        const T* vj = v + (b * n + j) * dv;
        for (int64_t c = 0; c < dv; ++c) acc[c] += kv * vj[c];
      }
      const double inv = s.normalize ? 1.0 / den : 1.0;
      for (int64_t c = 0; c < dv; ++c) out[r * dv + c] = static_cast<T>(acc[c] * inv);
    }
  }
}

template void kernel_attention<float>(const Context&, const KernelAttentionShape&, double, const double*, const double*,
                                      const double*, const float*, const float*, const float*, float*);
template void kernel_attention<double>(const Context&, const KernelAttentionShape&, double, const double*,
                                       const double*, const double*, const double*, const double*, const double*,
                                       double*);

}  // namespace attn::ops::cpu
