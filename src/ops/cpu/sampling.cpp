// CPU index sampling.
//   without replacement: Gumbel-top-k, key_i = log(w_i) - log(-log u_i), keep the `count` largest
//   (Efraimidis-Spirakis; equals sequential draws without replacement).
//   gaussian noise: element i is rng.normal(offset + i), in parallel.
//   categorical rows: inverse CDF of u over the row, in double; falls back to the last positive
//   entry when rounding leaves u above the total.
#include "ops/cpu/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace attn::ops::cpu {

template <class T>
void sample_without_replacement(const Context&, const SampleShape& s, const T* weight_a, const T* weight_b,
                                double floor, const Rng& rng, uint64_t offset, int64_t* idx) {
  std::vector<double> key(static_cast<size_t>(s.n));
  std::vector<int64_t> order(static_cast<size_t>(s.n));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t i = 0; i < s.n; ++i) {
      const double a = weight_a ? static_cast<double>(weight_a[b * s.n + i]) : 1.0;
      const double c = weight_b ? static_cast<double>(weight_b[b * s.n + i]) : 1.0;
      const double w = std::sqrt(std::max(0.0, a * c)) + floor;
      const double u = rng.uniform(offset + static_cast<uint64_t>(b * s.n + i));
      key[i] = w > 0 ? std::log(w) - std::log(-std::log(u)) : -HUGE_VAL;
    }
    std::iota(order.begin(), order.end(), int64_t{0});
    std::partial_sort(order.begin(), order.begin() + s.count, order.end(),
                      [&](int64_t x, int64_t y) { return key[x] > key[y] || (key[x] == key[y] && x < y); });
    std::sort(order.begin(), order.begin() + s.count);
    std::copy(order.begin(), order.begin() + s.count, idx + b * s.count);
  }
}

void sample_with_replacement(const Context&, const SampleShape& s, const Rng& rng, uint64_t offset, int64_t* idx) {
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t i = 0; i < s.count; ++i)
      idx[b * s.count + i] =
          static_cast<int64_t>(rng.below(offset + static_cast<uint64_t>(b * s.count + i), static_cast<uint64_t>(s.n)));
}

template <class T>
void sample_categorical_rows(const Context& ctx, const SampleShape& s, const T* probs, const Rng& rng, uint64_t offset,
                             int64_t* idx) {
  const int64_t total = s.batch * s.count;
#pragma omp parallel for num_threads(total * s.n > 32768 ? std::max(1, ctx.threads) : 1) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    const T* p = probs + r * s.n;
    double sum = 0;
    for (int64_t j = 0; j < s.n; ++j) sum += p[j];
    const double u = rng.uniform(offset + static_cast<uint64_t>(r)) * sum;
    double acc = 0;
    int64_t pick = -1, last_positive = 0;
    for (int64_t j = 0; j < s.n; ++j) {
      if (p[j] > T(0)) last_positive = j;
      acc += p[j];
      if (acc > u && p[j] > T(0)) {
        pick = j;
        break;
      }
    }
    idx[r] = pick >= 0 ? pick : last_positive;
  }
}

template <class T>
void add_gaussian_noise(const Context& ctx, int64_t n, double sd, const Rng& rng, uint64_t offset, T* x) {
  if (sd == 0) return;
#pragma omp parallel for num_threads(n > 32768 ? std::max(1, ctx.threads) : 1) schedule(static)
  for (int64_t i = 0; i < n; ++i) x[i] += static_cast<T>(sd * rng.normal(offset + static_cast<uint64_t>(i)));
}

template void add_gaussian_noise<float>(const Context&, int64_t, double, const Rng&, uint64_t, float*);
template void add_gaussian_noise<double>(const Context&, int64_t, double, const Rng&, uint64_t, double*);
template void sample_without_replacement<float>(const Context&, const SampleShape&, const float*, const float*, double,
                                                const Rng&, uint64_t, int64_t*);
template void sample_without_replacement<double>(const Context&, const SampleShape&, const double*, const double*,
                                                 double, const Rng&, uint64_t, int64_t*);
template void sample_categorical_rows<float>(const Context&, const SampleShape&, const float*, const Rng&, uint64_t,
                                             int64_t*);
template void sample_categorical_rows<double>(const Context&, const SampleShape&, const double*, const Rng&, uint64_t,
                                              int64_t*);

}  // namespace attn::ops::cpu
