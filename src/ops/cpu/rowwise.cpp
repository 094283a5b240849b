// CPU row-wise helpers: plain loops over rows, OpenMP across all rows of all batches when large.
// Sums accumulate in double so fp32 rows of length N do not drift.
#include "ops/cpu/rowwise.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/cpu/vec_math.hpp"

namespace attn::ops::cpu {

namespace {

template <class T>
T* row_ptr(const RowShape& s, T* x, int64_t r) {  // r in [0, batch * rows)
  return x + (r / s.rows) * s.stride + (r % s.rows) * s.ld;
}

int nthreads(const Context& ctx, int64_t work) { return work > 32768 ? std::max(1, ctx.threads) : 1; }

}  // namespace

template <class T>
void row_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  const int64_t total = s.batch * s.rows;
#pragma omp parallel for num_threads(nthreads(ctx, total * s.cols)) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    const T* row = row_ptr(s, x, r);
    double acc = 0;
    for (int64_t c = 0; c < s.cols; ++c) acc += static_cast<double>(row[c]) * row[c];
    out[r] = static_cast<T>(scale * acc);
  }
}

template <class T>
void col_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
#pragma omp parallel for num_threads(nthreads(ctx, s.batch * s.rows * s.cols)) schedule(static)
  for (int64_t b = 0; b < s.batch; ++b) {
    std::vector<double> acc(static_cast<size_t>(s.cols), 0.0);
    for (int64_t r = 0; r < s.rows; ++r) {
      const T* row = x + b * s.stride + r * s.ld;
      for (int64_t c = 0; c < s.cols; ++c) acc[c] += static_cast<double>(row[c]) * row[c];
    }
    for (int64_t c = 0; c < s.cols; ++c) out[b * s.cols + c] = static_cast<T>(scale * acc[c]);
  }
}

template <class T>
void col_sums(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
#pragma omp parallel for num_threads(nthreads(ctx, s.batch * s.rows * s.cols)) schedule(static)
  for (int64_t b = 0; b < s.batch; ++b) {
    std::vector<double> acc(static_cast<size_t>(s.cols), 0.0);
    for (int64_t r = 0; r < s.rows; ++r) {
      const T* row = x + b * s.stride + r * s.ld;
      for (int64_t c = 0; c < s.cols; ++c) acc[c] += row[c];
    }
    for (int64_t c = 0; c < s.cols; ++c) out[b * s.cols + c] = static_cast<T>(scale * acc[c]);
  }
}

template <class T>
void row_sums(const Context& ctx, const RowShape& s, const T* x, T* out) {
  const int64_t total = s.batch * s.rows;
#pragma omp parallel for num_threads(nthreads(ctx, total * s.cols)) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    const T* row = row_ptr(s, x, r);
    double acc = 0;
    for (int64_t c = 0; c < s.cols; ++c) acc += row[c];
    out[r] = static_cast<T>(acc);
  }
}

template <class T>
void row_logsumexp(const Context& ctx, const RowShape& s, const T* x, T* out) {
  const int64_t total = s.batch * s.rows;
#pragma omp parallel for num_threads(nthreads(ctx, total * s.cols)) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    const T* row = row_ptr(s, x, r);
    const double mx = *std::max_element(row, row + s.cols);
    if (!std::isfinite(mx)) {
      out[r] = static_cast<T>(mx);
      continue;
    }
    double acc = 0;
    for (int64_t c = 0; c < s.cols; ++c) acc += std::exp(static_cast<double>(row[c]) - mx);
    out[r] = static_cast<T>(mx + std::log(acc));
  }
}

template <class T>
void softmax_rows_lse(const Context& ctx, const RowShape& s, T* x, T* lse) {
  constexpr double kLog2e = 1.4426950408889634074;
  const int64_t total = s.batch * s.rows;
#pragma omp parallel for num_threads(nthreads(ctx, total * s.cols)) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    T* row = row_ptr(s, x, r);
    const T mx = max_of(row, s.cols);
    if (!std::isfinite(mx)) {  // all -inf (or a +inf/NaN that no shift can fix): no distribution
      lse[r] = mx;
      if (mx == -std::numeric_limits<T>::infinity()) std::fill(row, row + s.cols, T(0));
      continue;
    }
    const T sum = exp2_affine_sum(row, s.cols, static_cast<T>(kLog2e), static_cast<T>(kLog2e * mx));
    const T inv = T(1) / sum;
    for (int64_t c = 0; c < s.cols; ++c) row[c] *= inv;
    lse[r] = static_cast<T>(mx + std::log(static_cast<double>(sum)));
  }
}

template <class T>
void add_bias(const Context& ctx, const RowShape& s, const T* row_bias, const T* col_bias, int64_t col_stride, T* x) {
  const int64_t total = s.batch * s.rows;
#pragma omp parallel for num_threads(nthreads(ctx, total * s.cols)) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    T* row = row_ptr(s, x, r);
    const T rb = row_bias ? row_bias[r] : T(0);
    const T* cb = col_bias ? col_bias + (r / s.rows) * col_stride : nullptr;
    for (int64_t c = 0; c < s.cols; ++c) row[c] += rb + (cb ? cb[c] : T(0));
  }
}

template <class T>
void scale_rows_cols(const Context& ctx, const RowShape& s, const T* row_scale, const T* col_scale, T* x) {
  const int64_t total = s.batch * s.rows;
#pragma omp parallel for num_threads(nthreads(ctx, total * s.cols)) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    T* row = row_ptr(s, x, r);
    const T rs = row_scale ? row_scale[r] : T(1);
    const T* cs = col_scale ? col_scale + (r / s.rows) * s.cols : nullptr;
    for (int64_t c = 0; c < s.cols; ++c) row[c] *= rs * (cs ? cs[c] : T(1));
  }
}

template <class T>
void normalize_rows(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  const int64_t total = s.batch * s.rows;
#pragma omp parallel for num_threads(nthreads(ctx, total * s.cols)) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    const T* in = row_ptr(s, x, r);
    T* o = row_ptr(s, out, r);
    double sq = 0;
    for (int64_t c = 0; c < s.cols; ++c) sq += static_cast<double>(in[c]) * in[c];
    const T f = sq > 0 ? static_cast<T>(scale / std::sqrt(sq)) : T(0);
    for (int64_t c = 0; c < s.cols; ++c) o[c] = in[c] * f;
  }
}

template <class T>
void block_max(const Context&, const RowShape& s, bool accumulate, const T* x, T* out) {
  for (int64_t b = 0; b < s.batch; ++b) {
    T best = accumulate ? out[b] : -std::numeric_limits<T>::infinity();
    for (int64_t r = 0; r < s.rows; ++r) {
      const T* row = x + b * s.stride + r * s.ld;
      best = std::max(best, *std::max_element(row, row + s.cols));
    }
    out[b] = best;
  }
}

template <class T>
void exp_shifted(const Context& ctx, const RowShape& s, const T* shift, T* x) {
  const int64_t total = s.batch * s.rows;
#pragma omp parallel for num_threads(nthreads(ctx, total * s.cols)) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    T* row = row_ptr(s, x, r);
    const T c = shift[r / s.rows];
    for (int64_t j = 0; j < s.cols; ++j) row[j] = std::exp(row[j] - c);
  }
}

template <class T>
void exp_rows_with_stats(const Context& ctx, const RowShape& s, T* x, T* row_sum, T* row_geomean) {
  const int64_t total = s.batch * s.rows;
#pragma omp parallel for num_threads(nthreads(ctx, total * s.cols)) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    T* row = row_ptr(s, x, r);
    const T mx = *std::max_element(row, row + s.cols);
    double mean = 0, sum = 0;
    for (int64_t c = 0; c < s.cols; ++c) {
      mean += row[c];
      row[c] = std::exp(row[c] - mx);
      sum += row[c];
    }
    row_sum[r] = static_cast<T>(sum);
    row_geomean[r] = static_cast<T>(std::exp(mean / static_cast<double>(s.cols) - mx));
  }
}

template <class T>
void axpby(const Context& ctx, int64_t n, T alpha, const T* x, T beta, T* y) {
#pragma omp parallel for num_threads(nthreads(ctx, n)) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = alpha * x[i] + (beta == T(0) ? T(0) : beta * y[i]);
}

template <class T>
void rsqrt_inplace(const Context&, int64_t n, T* x) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] > T(0) ? static_cast<T>(1.0 / std::sqrt(static_cast<double>(x[i]))) : T(0);
}

template <class T>
int64_t divide_rows_guarded(const Context&, const RowShape& s, const T* den, double rel_tau, const T* fallback, T* x) {
  int64_t bad = 0;
  std::vector<double> mag(static_cast<size_t>(s.rows));
  for (int64_t b = 0; b < s.batch; ++b) {
    const T* db = den + b * s.rows;
    for (int64_t r = 0; r < s.rows; ++r) mag[r] = std::abs(static_cast<double>(db[r]));
    auto mid = mag.begin() + s.rows / 2;
    std::nth_element(mag.begin(), mid, mag.end());
    const double eps = rel_tau * *mid;
    for (int64_t r = 0; r < s.rows; ++r) {
      T* row = x + b * s.stride + r * s.ld;
      double d = db[r];
      const bool is_bad = !std::isfinite(d) || d <= eps;
      if (is_bad) ++bad;
      if (is_bad && fallback) {
        const T* fb = fallback + b * s.stride + r * s.ld;
        std::copy(fb, fb + s.cols, row);
        continue;
      }
      if (std::abs(d) <= eps) d += 2 * eps;
      const T inv = static_cast<T>(1.0 / d);
      for (int64_t c = 0; c < s.cols; ++c) row[c] *= inv;
    }
  }
  return bad;
}

#define ATTN_ROWWISE_INSTANTIATE(T)                                                                              \
  template void row_sq_norms<T>(const Context&, const RowShape&, T, const T*, T*);                               \
  template void col_sq_norms<T>(const Context&, const RowShape&, T, const T*, T*);                               \
  template void row_sums<T>(const Context&, const RowShape&, const T*, T*);                                      \
  template void col_sums<T>(const Context&, const RowShape&, T, const T*, T*);                                   \
  template void row_logsumexp<T>(const Context&, const RowShape&, const T*, T*);                                 \
  template void softmax_rows_lse<T>(const Context&, const RowShape&, T*, T*);                                    \
  template void add_bias<T>(const Context&, const RowShape&, const T*, const T*, int64_t, T*);                   \
  template void scale_rows_cols<T>(const Context&, const RowShape&, const T*, const T*, T*);                     \
  template void normalize_rows<T>(const Context&, const RowShape&, T, const T*, T*);                             \
  template void block_max<T>(const Context&, const RowShape&, bool, const T*, T*);                               \
  template void exp_shifted<T>(const Context&, const RowShape&, const T*, T*);                                   \
  template void exp_rows_with_stats<T>(const Context&, const RowShape&, T*, T*, T*);                             \
  template void axpby<T>(const Context&, int64_t, T, const T*, T, T*);                                           \
  template void rsqrt_inplace<T>(const Context&, int64_t, T*);                                                   \
  template int64_t divide_rows_guarded<T>(const Context&, const RowShape&, const T*, double, const T*, T*);
ATTN_ROWWISE_INSTANTIATE(float)
ATTN_ROWWISE_INSTANTIATE(double)

}  // namespace attn::ops::cpu
