// Row-wise helpers of the kernel and low-rank methods: norms, additive biases, log-sum-exp, the
// guarded row division and the global-shift exponential. Every matrix is `batch` blocks of
// rows x cols with row pitch `ld` and `stride` elements between blocks (RowShape).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct RowShape {
  int64_t rows = 0, cols = 0;
  int64_t ld = 0;      // row pitch (>= cols)
  int64_t stride = 0;  // elements between batches
  int64_t batch = 1;
};
// Dense rows x cols blocks, one after another.
RowShape row_shape(int64_t rows, int64_t cols, int64_t batch = 1);

// out[b, r] = scale * sum_c x[b, r, c]^2   (out: batch * rows).
template <class T>
void row_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out);
// out[b, c] = scale * sum_r x[b, r, c]^2   (out: batch * cols).
template <class T>
void col_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out);
// out[b, c] = scale * sum_r x[b, r, c]   (out: batch * cols; Skeinformer's column sums of V).
template <class T>
void col_sums(const Context& ctx, const RowShape& s, T scale, const T* x, T* out);
// out[b, r] = sum_c x[b, r, c].
template <class T>
void row_sums(const Context& ctx, const RowShape& s, const T* x, T* out);
// out[b, r] = log sum_c exp(x[b, r, c]).
template <class T>
void row_logsumexp(const Context& ctx, const RowShape& s, const T* x, T* out);
// x[b, r, :] <- softmax of the row and lse[b, r] = log sum_c exp(x[b, r, c]) in one pass (LARA's
// per-sample key summary needs both; the vectorized exponential of softmax_rows). A row that is all
// -inf becomes 0 with lse -inf.
template <class T>
void softmax_rows_lse(const Context& ctx, const RowShape& s, T* x, T* lse);
// x[b, r, c] += row_bias[b * rows + r] + col_bias[b * col_stride + c]; either bias may be null;
// col_stride 0 shares one column bias across batches.
template <class T>
void add_bias(const Context& ctx, const RowShape& s, const T* row_bias, const T* col_bias, int64_t col_stride, T* x);
// x[b, r, c] *= row_scale[b * rows + r] * col_scale[b * cols + c] (either may be null).
template <class T>
void scale_rows_cols(const Context& ctx, const RowShape& s, const T* row_scale, const T* col_scale, T* x);
// x[b, r, :] = x[b, r, :] / |x[b, r, :]| * scale (a zero row stays zero), into out (may alias x).
template <class T>
void normalize_rows(const Context& ctx, const RowShape& s, T scale, const T* x, T* out);
// out[b] = max over block b (accumulate: max(out[b], that)).
template <class T>
void block_max(const Context& ctx, const RowShape& s, bool accumulate, const T* x, T* out);
// x[b, r, c] = exp(x[b, r, c] - shift[b]): un-normalized kernels under one scalar shift per head
// (CUR/Nystrom algebra stays scale-equivariant, lowrank.md section 0).
template <class T>
void exp_shifted(const Context& ctx, const RowShape& s, const T* shift, T* x);
// Skeinformer's adaptive row statistics in place: with m_r the row max, x <- exp(x - m_r),
// row_sum[r] = sum of the new row, row_geomean[r] = exp(mean of the old row - m_r).
template <class T>
void exp_rows_with_stats(const Context& ctx, const RowShape& s, T* x, T* row_sum, T* row_geomean);
// y[i] = alpha * x[i] + beta * y[i], i < n.
// x[i] = 1 / sqrt(x[i]) (0 where x[i] <= 0), i < n.
template <class T>
void rsqrt_inplace(const Context& ctx, int64_t n, T* x);
template <class T>
void axpby(const Context& ctx, int64_t n, T alpha, const T* x, T beta, T* y);
// x[b, r, :] /= den[b, r]. A row is bad when den <= rel_tau * median(|den|) of its block (or not
// finite); a bad row takes fallback[b, r, :] when a fallback is given (same shape as x), else the
// JAX guard (den + 2 eps where |den| <= eps, eps = rel_tau * median). Returns the bad rows.
template <class T>
int64_t divide_rows_guarded(const Context& ctx, const RowShape& s, const T* den, double rel_tau, const T* fallback, T* x);
// Workspace bytes divide_rows_guarded takes: none on the CPU, the bad-row counter on the GPU. The
// other row-wise helpers take none on either device.
std::size_t divide_rows_guarded_scratch_bytes(Device device = Device::cpu);

}  // namespace attn::ops
