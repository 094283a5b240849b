// Top-k by magnitude with nth_element over indices (O(count) expected); ties at the threshold are
// resolved by the selection order, so exactly k entries survive.
#include "ops/cpu/sparse_lowrank.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace attn::ops::cpu {

void keep_largest_abs(const Context&, int64_t count, int64_t k, const double* x, double* out) {
  if (k >= count) {
    if (out != x) std::copy(x, x + count, out);
    return;
  }
  std::vector<int64_t> idx(static_cast<size_t>(count));
  std::iota(idx.begin(), idx.end(), 0);
  std::nth_element(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
    const double fa = std::abs(x[a]), fb = std::abs(x[b]);
    return fa > fb || (fa == fb && a < b);
  });
  std::vector<char> keep(static_cast<size_t>(count), 0);
  for (int64_t i = 0; i < k; ++i) keep[idx[i]] = 1;
  for (int64_t i = 0; i < count; ++i) out[i] = keep[i] ? x[i] : 0.0;
}

void soft_threshold(const Context&, int64_t count, double tau, const double* x, double* out) {
  for (int64_t i = 0; i < count; ++i) {
    const double m = std::abs(x[i]) - tau;
    out[i] = m > 0 ? std::copysign(m, x[i]) : 0.0;
  }
}

}  // namespace attn::ops::cpu
