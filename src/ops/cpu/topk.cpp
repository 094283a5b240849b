// nth_element over positions under (value descending, position ascending), then a sort of the
// chosen positions: O(n) expected per batch, batches in parallel.
#include "ops/cpu/topk.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

namespace attn::ops::cpu {

template <class T>
void topk_indices(const Context& ctx, int64_t batch, int64_t n, int64_t k, const T* x, int64_t* idx) {
  const int threads = std::max(1, ctx.threads);
#pragma omp parallel num_threads(threads) if (batch > 1)
  {
    std::vector<int64_t> order(static_cast<size_t>(n));
#pragma omp for schedule(static)
    for (int64_t b = 0; b < batch; ++b) {
      const T* v = x + b * n;
      std::iota(order.begin(), order.end(), int64_t{0});
      auto before = [v](int64_t a, int64_t c) { return v[a] > v[c] || (v[a] == v[c] && a < c); };
      if (k > 0 && k < n) std::nth_element(order.begin(), order.begin() + (k - 1), order.end(), before);
      std::sort(order.begin(), order.begin() + k);
      std::copy(order.begin(), order.begin() + k, idx + b * k);
    }
  }
}

template <class T>
void fill_at(const Context& ctx, int64_t batch, int64_t n, int64_t k, const int64_t* idx, T value, T* x) {
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t e = 0; e < k; ++e) x[b * n + idx[b * k + e]] = value;
}

template void topk_indices<float>(const Context&, int64_t, int64_t, int64_t, const float*, int64_t*);
template void topk_indices<double>(const Context&, int64_t, int64_t, int64_t, const double*, int64_t*);
template void fill_at<float>(const Context&, int64_t, int64_t, int64_t, const int64_t*, float, float*);
template void fill_at<double>(const Context&, int64_t, int64_t, int64_t, const int64_t*, double, double*);

}  // namespace attn::ops::cpu
