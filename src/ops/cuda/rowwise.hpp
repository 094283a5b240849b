// CUDA row-wise helpers (norms, biases, log-sum-exp, guarded division, shifted exponentials). No
// CUDA types here; pointers are device pointers, arguments validated by the entries in
// ops/rowwise.cpp (same names and semantics as ops/rowwise.hpp).
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "ops/rowwise.hpp"

namespace attn::ops::cuda {

template <class T>
void row_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out);
template <class T>
void col_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out);
template <class T>
void col_sums(const Context& ctx, const RowShape& s, T scale, const T* x, T* out);
template <class T>
void row_sums(const Context& ctx, const RowShape& s, const T* x, T* out);
template <class T>
void row_logsumexp(const Context& ctx, const RowShape& s, const T* x, T* out);
template <class T>
void softmax_rows_lse(const Context& ctx, const RowShape& s, T* x, T* lse);
template <class T>
void add_bias(const Context& ctx, const RowShape& s, const T* row_bias, const T* col_bias, int64_t col_stride, T* x);
template <class T>
void scale_rows_cols(const Context& ctx, const RowShape& s, const T* row_scale, const T* col_scale, T* x);
template <class T>
void normalize_rows(const Context& ctx, const RowShape& s, T scale, const T* x, T* out);
template <class T>
void block_max(const Context& ctx, const RowShape& s, bool accumulate, const T* x, T* out);
template <class T>
void exp_shifted(const Context& ctx, const RowShape& s, const T* shift, T* x);
template <class T>
void exp_rows_with_stats(const Context& ctx, const RowShape& s, T* x, T* row_sum, T* row_geomean);
template <class T>
void axpby(const Context& ctx, int64_t n, T alpha, const T* x, T beta, T* y);
template <class T>
void rsqrt_inplace(const Context& ctx, int64_t n, T* x);
// Synchronizes the stream to return the count of bad rows.
template <class T>
int64_t divide_rows_guarded(const Context& ctx, const RowShape& s, const T* den, double rel_tau, const T* fallback, T* x);

}  // namespace attn::ops::cuda
