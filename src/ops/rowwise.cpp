// Validated entries of the row-wise helpers.
#include "ops/rowwise.hpp"

#include "ops/cpu/rowwise.hpp"
#include "ops/cuda/rowwise.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

RowShape row_shape(int64_t rows, int64_t cols, int64_t batch) {
  return {.rows = rows, .cols = cols, .ld = cols, .stride = rows * cols, .batch = batch};
}

std::size_t divide_rows_guarded_scratch_bytes(Device device) {
  return device == Device::cuda ? sizeof(unsigned long long) : 0;  // "divide_rows_guarded.bad"
}

namespace {
void check(const RowShape& s, const void* x, const char* op) {
  ATTN_CHECK(s.rows > 0 && s.cols > 0 && s.batch > 0, std::string(op) + ": sizes must be positive");
  ATTN_CHECK(s.ld >= s.cols, std::string(op) + ": ld must be >= cols");
  ATTN_CHECK(s.batch == 1 || s.stride >= (s.rows - 1) * s.ld + s.cols, std::string(op) + ": batches overlap");
  ATTN_CHECK(x != nullptr, std::string(op) + ": null operand");
}
}  // namespace

template <class T>
void row_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  check(s, out, "row_sq_norms");
  check(s, x, "row_sq_norms");
  ATTN_DISPATCH(ctx, "row_sq_norms", cpu::row_sq_norms(ctx, s, scale, x, out),
                cuda::row_sq_norms(ctx, s, scale, x, out));
}
template <class T>
void col_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  check(s, out, "col_sq_norms");
  check(s, x, "col_sq_norms");
  ATTN_DISPATCH(ctx, "col_sq_norms", cpu::col_sq_norms(ctx, s, scale, x, out),
                cuda::col_sq_norms(ctx, s, scale, x, out));
}
template <class T>
void col_sums(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  check(s, x, "col_sums");
  ATTN_CHECK(out != nullptr, "col_sums: null output");
  ATTN_DISPATCH(ctx, "col_sums", cpu::col_sums(ctx, s, scale, x, out),
                cuda::col_sums(ctx, s, scale, x, out));
}
template <class T>
void row_sums(const Context& ctx, const RowShape& s, const T* x, T* out) {
  check(s, out, "row_sums");
  check(s, x, "row_sums");
  ATTN_DISPATCH(ctx, "row_sums", cpu::row_sums(ctx, s, x, out),
                cuda::row_sums(ctx, s, x, out));
}
template <class T>
void row_logsumexp(const Context& ctx, const RowShape& s, const T* x, T* out) {
  check(s, out, "row_logsumexp");
  check(s, x, "row_logsumexp");
  ATTN_DISPATCH(ctx, "row_logsumexp", cpu::row_logsumexp(ctx, s, x, out),
                cuda::row_logsumexp(ctx, s, x, out));
}
template <class T>
void softmax_rows_lse(const Context& ctx, const RowShape& s, T* x, T* lse) {
  check(s, x, "softmax_rows_lse");
  ATTN_CHECK(lse != nullptr, "softmax_rows_lse: null output");
  ATTN_DISPATCH(ctx, "softmax_rows_lse", cpu::softmax_rows_lse(ctx, s, x, lse),
                cuda::softmax_rows_lse(ctx, s, x, lse));
}
template <class T>
void add_bias(const Context& ctx, const RowShape& s, const T* row_bias, const T* col_bias, int64_t col_stride, T* x) {
  check(s, x, "add_bias");
  ATTN_CHECK(col_stride >= 0, "add_bias: col_stride must be >= 0");
  ATTN_DISPATCH(ctx, "add_bias", cpu::add_bias(ctx, s, row_bias, col_bias, col_stride, x),
                cuda::add_bias(ctx, s, row_bias, col_bias, col_stride, x));
}
template <class T>
void scale_rows_cols(const Context& ctx, const RowShape& s, const T* row_scale, const T* col_scale, T* x) {
  check(s, x, "scale_rows_cols");
  ATTN_DISPATCH(ctx, "scale_rows_cols", cpu::scale_rows_cols(ctx, s, row_scale, col_scale, x),
                cuda::scale_rows_cols(ctx, s, row_scale, col_scale, x));
}
template <class T>
void normalize_rows(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  check(s, x, "normalize_rows");
  check(s, out, "normalize_rows");
  ATTN_DISPATCH(ctx, "normalize_rows", cpu::normalize_rows(ctx, s, scale, x, out),
                cuda::normalize_rows(ctx, s, scale, x, out));
}
template <class T>
void block_max(const Context& ctx, const RowShape& s, bool accumulate, const T* x, T* out) {
  check(s, x, "block_max");
  ATTN_CHECK(out != nullptr, "block_max: null output");
  ATTN_DISPATCH(ctx, "block_max", cpu::block_max(ctx, s, accumulate, x, out),
                cuda::block_max(ctx, s, accumulate, x, out));
}
template <class T>
void exp_shifted(const Context& ctx, const RowShape& s, const T* shift, T* x) {
  check(s, x, "exp_shifted");
  ATTN_CHECK(shift != nullptr, "exp_shifted: null shift");
  ATTN_DISPATCH(ctx, "exp_shifted", cpu::exp_shifted(ctx, s, shift, x),
                cuda::exp_shifted(ctx, s, shift, x));
}
template <class T>
void exp_rows_with_stats(const Context& ctx, const RowShape& s, T* x, T* row_sum, T* row_geomean) {
  check(s, x, "exp_rows_with_stats");
  ATTN_CHECK(row_sum != nullptr && row_geomean != nullptr, "exp_rows_with_stats: null output");
  ATTN_DISPATCH(ctx, "exp_rows_with_stats", cpu::exp_rows_with_stats(ctx, s, x, row_sum, row_geomean),
                cuda::exp_rows_with_stats(ctx, s, x, row_sum, row_geomean));
}
template <class T>
void axpby(const Context& ctx, int64_t n, T alpha, const T* x, T beta, T* y) {
  ATTN_CHECK(n >= 0 && x != nullptr && y != nullptr, "axpby: bad operands");
  ATTN_DISPATCH(ctx, "axpby", cpu::axpby(ctx, n, alpha, x, beta, y),
                cuda::axpby(ctx, n, alpha, x, beta, y));
}
template <class T>
void rsqrt_inplace(const Context& ctx, int64_t n, T* x) {
  ATTN_CHECK(n >= 0 && x != nullptr, "rsqrt_inplace: bad operands");
  ATTN_DISPATCH(ctx, "rsqrt_inplace", cpu::rsqrt_inplace(ctx, n, x),
                cuda::rsqrt_inplace(ctx, n, x));
}
template <class T>
int64_t divide_rows_guarded(const Context& ctx, const RowShape& s, const T* den, double rel_tau, const T* fallback, T* x) {
  check(s, x, "divide_rows_guarded");
  ATTN_CHECK(den != nullptr && rel_tau >= 0, "divide_rows_guarded: bad denominator");
  int64_t bad = 0;
  ATTN_DISPATCH(ctx, "divide_rows_guarded", bad = cpu::divide_rows_guarded(ctx, s, den, rel_tau, fallback, x),
                bad = cuda::divide_rows_guarded(ctx, s, den, rel_tau, fallback, x));
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

}  // namespace attn::ops
