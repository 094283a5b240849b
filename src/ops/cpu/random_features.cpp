// W is shared by all heads, so U = input_scale * X W^T for every head is one GEMM with M = batch * N,
// written straight into the first m columns of each output row (ldc = feature columns). The map
// then runs in place, one row at a time (kernel.md card 1, step 4 and variants):
//   positive:   (exp(U - |x|^2/2 - c) + eps) / sqrt(m)         c: row max of U, or one per head
//   hyperbolic: [exp(U - h - c), exp(-U - h - c)] / sqrt(2m)   c: row max of |U|, or one per head
//   trig:       [cos U, sin U] * exp(h - max_n h_n) / sqrt(m)  h = |x|^2 / 2
//   fourier:    [cos U, sin U] * scale_j                       scale_j = proj_scale[j] or 1/sqrt(m)
// The maxima are over the raw projections U, as in the official code, not over U - h. Shift `none`
// uses c = 0 (and, for trig, max_n h_n = 0): the unstabilized maps of the closed-form MSE.
// l2_normalize divides each input row by its norm first (RFA); the projection then runs on a
// normalized copy of the rows held in a per-call scratch vector.
#include "ops/cpu/random_features.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/cpu/gemm.hpp"
#include "ops/cpu/vec_math.hpp"

namespace attn::ops::cpu {

namespace {

constexpr double kLog2e = 1.4426950408889634074;

// Largest |U| (hyperbolic) or U (positive) over the first m entries of a row.
template <class T>
T row_shift(FeatureKind kind, const T* u, int64_t m) {
  if (kind == FeatureKind::positive) return max_of(u, m);
  T best = T(0);
  for (int64_t j = 0; j < m; ++j) best = std::max(best, std::abs(u[j]));
  return best;
}

// Half squared norm of input row x_i after input_scale.
template <class T>
double half_sq_norm(const T* x, int64_t d, double input_scale) {
  double sum = 0.0;
  for (int64_t c = 0; c < d; ++c) sum += static_cast<double>(x[c]) * static_cast<double>(x[c]);
  return 0.5 * input_scale * input_scale * sum;
}

// Per-head constants: the shared shift c (positive/hyperbolic, per_head) or max_n h_n (trig).
// Parallel over rows when there are fewer heads than threads: with one head this pass reads all
// N x m projections, and a serial pass was a visible share of the time at large N.
template <class T>
double head_constant(const FeatureShape& s, int64_t cols, const T* x, const T* out, int row_threads) {
  const int64_t n = s.seq_len, m = s.projections;
  double best = -std::numeric_limits<double>::infinity();
#pragma omp parallel for num_threads(row_threads) schedule(static) reduction(max : best) if (row_threads > 1)
  for (int64_t i = 0; i < n; ++i) {
    const double v = s.kind == FeatureKind::trig ? half_sq_norm(x + i * s.head_dim, s.head_dim, s.input_scale)
                                                 : static_cast<double>(row_shift(s.kind, out + i * cols, m));
    best = std::max(best, v);
  }
  return best;
}

template <class T>
void map_row(const FeatureShape& s, int64_t cols, double h, double c, const T* proj_scale, T* row) {
  const int64_t m = s.projections;
  switch (s.kind) {
    case FeatureKind::positive: {
      exp2_affine_sum(row, m, static_cast<T>(kLog2e), static_cast<T>((h + c) * kLog2e));
      const T eps = static_cast<T>(s.eps), inv = static_cast<T>(1.0 / std::sqrt(static_cast<double>(m)));
      for (int64_t j = 0; j < m; ++j) row[j] = (row[j] + eps) * inv;
      break;
    }
    case FeatureKind::hyperbolic: {
      for (int64_t j = 0; j < m; ++j) row[m + j] = -row[j];
      exp2_affine_sum(row, 2 * m, static_cast<T>(kLog2e), static_cast<T>((h + c) * kLog2e));
      const T inv = static_cast<T>(1.0 / std::sqrt(2.0 * static_cast<double>(m)));
      for (int64_t j = 0; j < cols; ++j) row[j] *= inv;
      break;
    }
    case FeatureKind::trig: {
      const T f = static_cast<T>(std::exp(h - c) / std::sqrt(static_cast<double>(m)));
      for (int64_t j = 0; j < m; ++j) {
        const T u = row[j];
        row[j] = std::cos(u) * f;
        row[m + j] = std::sin(u) * f;
      }
      break;
    }
    case FeatureKind::fourier: {
      const T f = static_cast<T>(1.0 / std::sqrt(static_cast<double>(m)));
      for (int64_t j = 0; j < m; ++j) {
        const T u = row[j], sc = proj_scale ? proj_scale[j] : f;
        row[j] = std::cos(u) * sc;
        row[m + j] = std::sin(u) * sc;
      }
      break;
    }
  }
}

}  // namespace

template <class T>
void random_features(const Context& ctx, const FeatureShape& s, const T* x, const T* w, T* out, const T* proj_scale,
                     T* shift_out) {
  const int64_t n = s.seq_len, d = s.head_dim, m = s.projections;
  const int64_t cols = feature_columns(s);
  std::vector<T> unit;
  if (s.l2_normalize) {  // x <- x / |x|; a zero row stays zero
    unit.assign(x, x + s.batch * n * d);
    for (int64_t r = 0; r < s.batch * n; ++r) {
      double sq = 0;
      for (int64_t c = 0; c < d; ++c) sq += static_cast<double>(unit[r * d + c]) * unit[r * d + c];
      const T inv = sq > 0 ? static_cast<T>(1.0 / std::sqrt(sq)) : T(0);
      for (int64_t c = 0; c < d; ++c) unit[r * d + c] *= inv;
    }
    x = unit.data();
  }
  GemmShape g = gemm_shape(Trans::no, Trans::yes, s.batch * n, m, d);
  g.ldc = cols;
  cpu::gemm<T>(ctx, g, static_cast<T>(s.input_scale), x, w, T(0), out);

  const bool unshifted = s.shift == FeatureShift::none || s.kind == FeatureKind::fourier;
  const bool shared = !unshifted && (s.kind == FeatureKind::trig || s.shift == FeatureShift::per_head);
  std::vector<double> head_c(static_cast<std::size_t>(s.batch), 0.0);
  const int threads = std::max(1, ctx.threads);
  if (shared) {
    const bool by_head = s.batch >= threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (by_head)
    for (int64_t b = 0; b < s.batch; ++b)
      head_c[b] = head_constant(s, cols, x + b * n * d, out + b * n * cols, by_head ? 1 : threads);
    if (shift_out != nullptr)
      for (int64_t b = 0; b < s.batch; ++b) shift_out[b] = static_cast<T>(head_c[b]);
  }
#pragma omp parallel for num_threads(threads) schedule(static) if (s.batch * n * m > 32768)
  for (int64_t r = 0; r < s.batch * n; ++r) {
    T* row = out + r * cols;
    const double h = half_sq_norm(x + r * d, d, s.input_scale);
    const double c = unshifted ? 0.0 : shared ? head_c[r / n] : static_cast<double>(row_shift(s.kind, row, m));
    if (shift_out != nullptr && !unshifted && !shared) shift_out[r] = static_cast<T>(c);
    map_row(s, cols, h, c, proj_scale, row);
  }
}

template void random_features<float>(const Context&, const FeatureShape&, const float*, const float*, float*, const float*, float*);
template void random_features<double>(const Context&, const FeatureShape&, const double*, const double*, double*, const double*, double*);

}  // namespace attn::ops::cpu
