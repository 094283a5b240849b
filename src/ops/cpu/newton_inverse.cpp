// Two batched GEMMs per iteration: T = 2 I - P V, then V <- V T (through a third buffer, as V
// appears on both sides). Scratch: P (with the ridge), T and the staging buffer.
#include "ops/cpu/newton_inverse.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/cpu/gemm.hpp"

namespace attn::ops::cpu {

namespace {

template <class T>
double max_abs_row_sum(const T* a, int64_t m) {
  double best = 0;
  for (int64_t i = 0; i < m; ++i) {
    double acc = 0;
    for (int64_t j = 0; j < m; ++j) acc += std::abs(static_cast<double>(a[i * m + j]));
    best = std::max(best, acc);
  }
  return best;
}

// max column |.|-sum of I - alpha P P, P symmetric (the halving test of newton_inv_norm).
template <class T>
double residual_norm(const T* p, int64_t m, double alpha) {
  double best = 0;
  for (int64_t j = 0; j < m; ++j) {
    double col = 0;
    for (int64_t i = 0; i < m; ++i) {
      double pp = 0;
      for (int64_t k = 0; k < m; ++k) pp += static_cast<double>(p[i * m + k]) * p[k * m + j];
      col += std::abs((i == j ? 1.0 : 0.0) - alpha * pp);
    }
    best = std::max(best, col);
  }
  return best;
}

}  // namespace

template <class T>
void newton_inverse(const Context& ctx, const NewtonInverseShape& s, const T* a, T* v) {
  const int64_t m = s.size, mm = m * m;
  T* p = ctx.ws().get<T>("newton_inverse.p", s.batch * mm);
  T* t = ctx.ws().get<T>("newton_inverse.t", s.batch * mm);
  T* u = ctx.ws().get<T>("newton_inverse.u", s.batch * mm);
  std::copy(a, a + s.batch * mm, p);
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t i = 0; i < m; ++i) p[b * mm + i * m + i] += static_cast<T>(s.ridge);

  std::vector<double> alpha(static_cast<size_t>(s.batch));
  if (s.init == NewtonInit::per_matrix) {
    for (int64_t b = 0; b < s.batch; ++b) {
      const double r = max_abs_row_sum(a + b * mm, m);
      alpha[b] = r > 0 ? 0.9 * 2.0 / (r * r) : 1.0;
    }
  } else {
    double r = 0;
    for (int64_t b = 0; b < s.batch; ++b) r = std::max(r, max_abs_row_sum(p + b * mm, m));
    double al = r > 0 ? 2.0 / (r * r) : 1.0;
    for (int halvings = 0; halvings < 10; ++halvings) {
      double worst = 0;
      for (int64_t b = 0; b < s.batch; ++b) worst = std::max(worst, residual_norm(p + b * mm, m, al));
      if (worst <= 1.01) break;
      al *= 0.5;
    }
    std::fill(alpha.begin(), alpha.end(), al);
  }
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t e = 0; e < mm; ++e) v[b * mm + e] = static_cast<T>(alpha[b] * p[b * mm + e]);

  const GemmShape sq = gemm_shape(Trans::no, Trans::no, m, m, m, s.batch);
  for (int it = 0; it < s.iterations; ++it) {
    cpu::gemm<T>(ctx, sq, T(1), p, v, T(0), t);  // t = P V
    for (int64_t b = 0; b < s.batch; ++b) {      // t = 2 I - P V
      T* tb = t + b * mm;
      for (int64_t e = 0; e < mm; ++e) tb[e] = -tb[e];
      for (int64_t i = 0; i < m; ++i) tb[i * m + i] += T(2);
    }
    cpu::gemm<T>(ctx, sq, T(1), v, t, T(0), u);  // u = V (2 I - P V) = 2 V - V P V
    std::copy(u, u + s.batch * mm, v);
  }
}

template void newton_inverse<float>(const Context&, const NewtonInverseShape&, const float*, float*);
template void newton_inverse<double>(const Context&, const NewtonInverseShape&, const double*, double*);

}  // namespace attn::ops::cpu
