// One output row at a time (rows of all batches in parallel), weights recomputed per row: the
// window is O(stride) or O(sigma) wide, so this is O(N w d).
#include "ops/cpu/window_pool.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace attn::ops::cpu {

template <class T>
void window_pool(const Context& ctx, const WindowPoolShape& s, const T* x, T* out) {
  const int64_t n = s.seq_len, d = s.dim, m = pooled_rows(s);
#pragma omp parallel num_threads(s.batch * m * d > 32768 ? std::max(1, ctx.threads) : 1)
  {
    std::vector<double> acc(static_cast<size_t>(d));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < s.batch * m; ++r) {
      const int64_t b = r / m, j = r % m;
      const double centre = static_cast<double>(j * s.stride) + static_cast<double>(s.stride - 1) / 2;
      int64_t lo = j * s.stride, hi = std::min(n, (j + 1) * s.stride);
      if (s.window == PoolWindow::gaussian) {
        const double reach = 2 * s.sigma;
        lo = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(centre - reach)));
        hi = std::min<int64_t>(n, static_cast<int64_t>(std::floor(centre + reach)) + 1);
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      double total = 0;
      for (int64_t i = lo; i < hi; ++i) {
        double w = 1;
        if (s.window == PoolWindow::gaussian && s.sigma > 0) {
          const double t = (static_cast<double>(i) - centre) / s.sigma;
          w = std::exp(-0.5 * t * t);
        }
        total += w;
        const T* row = x + (b * n + i) * d;
        for (int64_t c = 0; c < d; ++c) acc[c] += w * row[c];
      }
      T* o = out + r * d;
      for (int64_t c = 0; c < d; ++c) o[c] = total > 0 ? static_cast<T>(acc[c] / total) : T(0);
    }
  }
}

template void window_pool<float>(const Context&, const WindowPoolShape&, const float*, float*);
template void window_pool<double>(const Context&, const WindowPoolShape&, const double*, double*);

}  // namespace attn::ops::cpu
