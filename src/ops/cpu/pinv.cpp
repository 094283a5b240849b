// Each iteration is four batched GEMMs over all heads at once (ops gemm picks per-batch threads or
// threaded BLAS) and three "c I - X" diagonal updates:
//   P = W Z;  A = 7I - P;  T = 15I - P A;  A = 13I - P T;  Z <- Z A / 4.
#include "ops/cpu/pinv.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "ops/cpu/gemm.hpp"

namespace attn::ops::cpu {

namespace {

// x <- c I - x for each n x n matrix of the batch.
template <class T>
void diag_minus(int64_t batch, int64_t n, T c, T* x) {
  for (int64_t i = 0; i < batch * n * n; ++i) x[i] = -x[i];
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < n; ++i) x[b * n * n + i * n + i] += c;
  }
}

// Largest column sum and largest row sum of |W| for one head.
template <class T>
std::pair<double, double> abs_norms(int64_t n, const T* w) {
  std::vector<double> col(static_cast<std::size_t>(n), 0.0);
  double row_max = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double row = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      const double v = std::abs(static_cast<double>(w[i * n + j]));
      row += v;
      col[j] += v;
    }
    row_max = std::max(row_max, row);
  }
  return {*std::max_element(col.begin(), col.end()), row_max};
}

}  // namespace

template <class T>
void newton_schulz_pinv(const Context& ctx, const PinvShape& s, const T* w, T* z) {
  const int64_t n = s.size, nn = n * n, batch = s.batch;
  // Z0 = W^T / c. "original" shares one c across the batch (the official code's global max).
  std::vector<double> c(static_cast<std::size_t>(batch));
  double global_col = 0.0;
  for (int64_t b = 0; b < batch; ++b) {
    const auto [col, row] = abs_norms(n, w + b * nn);
    c[b] = s.init == PinvInit::exact ? col * row : col;
    global_col = std::max(global_col, col);
  }
  for (int64_t b = 0; b < batch; ++b) {
    const double cb = s.init == PinvInit::original ? global_col : c[b];
    const T inv = cb > 0.0 ? static_cast<T>(1.0 / cb) : T(0);  // W = 0: its pseudo-inverse is 0
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) z[b * nn + i * n + j] = w[b * nn + j * n + i] * inv;
    }
  }
  if (s.iterations <= 0) return;

  T* p = ctx.ws().get<T>("pinv.p", batch * nn);
  T* a = ctx.ws().get<T>("pinv.a", batch * nn);
  T* t = ctx.ws().get<T>("pinv.t", batch * nn);
  const GemmShape sq = gemm_shape(Trans::no, Trans::no, n, n, n, batch);
  T* cur = z;
  for (int it = 0; it < s.iterations; ++it) {
    cpu::gemm<T>(ctx, sq, T(1), w, cur, T(0), p);  // P = W Z
    std::memcpy(a, p, sizeof(T) * batch * nn);
    diag_minus(batch, n, T(7), a);            // A = 7I - P
    cpu::gemm<T>(ctx, sq, T(1), p, a, T(0), t);    // T = P A
    diag_minus(batch, n, T(15), t);           // T = 15I - P A
    cpu::gemm<T>(ctx, sq, T(1), p, t, T(0), a);    // A = P T
    diag_minus(batch, n, T(13), a);           // A = 13I - P T
    cpu::gemm<T>(ctx, sq, T(0.25), cur, a, T(0), p);  // Z_next = Z A / 4, into the free P buffer
    std::swap(cur, p);
  }
  if (cur != z) std::memcpy(z, cur, sizeof(T) * batch * nn);
}

template void newton_schulz_pinv<float>(const Context&, const PinvShape&, const float*, float*);
template void newton_schulz_pinv<double>(const Context&, const PinvShape&, const double*, double*);

}  // namespace attn::ops::cpu
