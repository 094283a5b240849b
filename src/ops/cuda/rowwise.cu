// Row-wise helpers on the GPU. Row reductions take one warp per row (rows run from a few dozen
// columns to N); column reductions one thread per column; elementwise updates a grid-stride loop.
// Sums accumulate in double, as on the CPU, so fp32 rows of length N do not drift.
// divide_rows_guarded lives in rowwise_guarded.cu.
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>

#include "ops/cuda/common.cuh"
#include "ops/cuda/row_params.cuh"
#include "ops/cuda/rowwise.hpp"

namespace attn::ops::cuda {

namespace {


template <class T>
__global__ void row_sq_norms_kernel(RowParams p, T scale, const T* x, T* out) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, p.rows * p.batch) {
    const T* row = x + p.offset(r);
    double acc = 0;
    for (long long c = lane; c < p.cols; c += 32) acc += static_cast<double>(row[c]) * row[c];
    acc = warp_sum(acc);
    if (lane == 0) out[r] = static_cast<T>(scale * acc);
  }
}

// Column sums of x (kSquare: of x^2), one thread per (batch, column).
template <class T, bool kSquare>
__global__ void col_sums_kernel(RowParams p, T scale, const T* x, T* out) {
  ATTN_GRID_LOOP(e, p.batch * p.cols) {
    const long long b = e / p.cols, c = e % p.cols;
    double acc = 0;
    for (long long r = 0; r < p.rows; ++r) {
      const double v = x[b * p.stride + r * p.ld + c];
      acc += kSquare ? v * v : v;
    }
    out[e] = static_cast<T>(scale * acc);
  }
}

template <class T>
__global__ void row_sums_kernel(RowParams p, const T* x, T* out) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, p.rows * p.batch) {
    const T* row = x + p.offset(r);
    double acc = 0;
    for (long long c = lane; c < p.cols; c += 32) acc += row[c];
    acc = warp_sum(acc);
    if (lane == 0) out[r] = static_cast<T>(acc);
  }
}

template <class T>
__device__ T row_max(const T* row, long long cols, int lane) {
  T mx = -std::numeric_limits<T>::infinity();
  for (long long c = lane; c < cols; c += 32) mx = row[c] > mx ? row[c] : mx;
  return warp_max(mx);
}

template <class T>
__global__ void row_logsumexp_kernel(RowParams p, const T* x, T* out) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, p.rows * p.batch) {
    const T* row = x + p.offset(r);
    const double mx = row_max(row, p.cols, lane);
    if (!isfinite(mx)) {
      if (lane == 0) out[r] = static_cast<T>(mx);
      continue;
    }
    double acc = 0;
    for (long long c = lane; c < p.cols; c += 32) acc += exp(static_cast<double>(row[c]) - mx);
    acc = warp_sum(acc);
    if (lane == 0) out[r] = static_cast<T>(mx + log(acc));
  }
}

// Softmax of each row in place and its log-sum-exp (a row whose max is not finite: lse = max, and
// an all -inf row becomes 0), as the CPU's softmax_rows_lse; the sum accumulates in double.
template <class T>
__global__ void softmax_rows_lse_kernel(RowParams p, T* x, T* lse) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, p.rows * p.batch) {
    T* row = x + p.offset(r);
    const T mx = row_max(row, p.cols, lane);
    if (!isfinite(static_cast<double>(mx))) {
      if (lane == 0) lse[r] = mx;
      if (mx == -std::numeric_limits<T>::infinity())
        for (long long c = lane; c < p.cols; c += 32) row[c] = T(0);
      continue;
    }
    double sum = 0;
    for (long long c = lane; c < p.cols; c += 32) {
      row[c] = exp_t(row[c] - mx);
      sum += row[c];
    }
    sum = warp_sum(sum);
    const T inv = static_cast<T>(1.0 / sum);
    for (long long c = lane; c < p.cols; c += 32) row[c] *= inv;
    if (lane == 0) lse[r] = static_cast<T>(static_cast<double>(mx) + log(sum));
  }
}

template <class T>
__global__ void add_bias_kernel(RowParams p, const T* row_bias, const T* col_bias, long long col_stride, T* x) {
  ATTN_GRID_LOOP(e, p.rows * p.batch * p.cols) {
    const long long r = e / p.cols, c = e % p.cols;
    const T rb = row_bias ? row_bias[r] : T(0);
    const T cb = col_bias ? col_bias[(r / p.rows) * col_stride + c] : T(0);
    x[p.offset(r) + c] += rb + cb;
  }
}

template <class T>
__global__ void scale_rows_cols_kernel(RowParams p, const T* row_scale, const T* col_scale, T* x) {
  ATTN_GRID_LOOP(e, p.rows * p.batch * p.cols) {
    const long long r = e / p.cols, c = e % p.cols;
    const T rs = row_scale ? row_scale[r] : T(1);
    const T cs = col_scale ? col_scale[(r / p.rows) * p.cols + c] : T(1);
    x[p.offset(r) + c] *= rs * cs;
  }
}

template <class T>
__global__ void normalize_rows_kernel(RowParams p, T scale, const T* x, T* out) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, p.rows * p.batch) {
    const T* in = x + p.offset(r);
    T* o = out + p.offset(r);
    double sq = 0;
    for (long long c = lane; c < p.cols; c += 32) sq += static_cast<double>(in[c]) * in[c];
    sq = warp_sum(sq);  // every lane has read its inputs before any lane writes (out may alias x)
    const T f = sq > 0 ? static_cast<T>(scale / sqrt(sq)) : T(0);
    for (long long c = lane; c < p.cols; c += 32) o[c] = in[c] * f;
  }
}

// One block per batch.
template <class T>
__global__ void block_max_kernel(RowParams p, bool accumulate, const T* x, T* out) {
  __shared__ T partial[kWarpsPerBlock];
  const long long b = blockIdx.x;
  T best = -std::numeric_limits<T>::infinity();
  for (long long e = threadIdx.x; e < p.rows * p.cols; e += blockDim.x) {
    const T v = x[b * p.stride + (e / p.cols) * p.ld + e % p.cols];
    best = v > best ? v : best;
  }
  best = warp_max(best);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = best;
  __syncthreads();
  if (threadIdx.x == 0) {
    T m = accumulate ? out[b] : -std::numeric_limits<T>::infinity();
    for (int w = 0; w < kWarpsPerBlock; ++w) m = partial[w] > m ? partial[w] : m;
    out[b] = m;
  }
}

template <class T>
__global__ void exp_shifted_kernel(RowParams p, const T* shift, T* x) {
  ATTN_GRID_LOOP(e, p.rows * p.batch * p.cols) {
    const long long r = e / p.cols, c = e % p.cols;
    T* v = x + p.offset(r) + c;
    *v = exp_t(*v - shift[r / p.rows]);
  }
}

template <class T>
__global__ void exp_rows_with_stats_kernel(RowParams p, T* x, T* row_sum, T* row_geomean) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, p.rows * p.batch) {
    T* row = x + p.offset(r);
    const T mx = row_max(row, p.cols, lane);
    double mean = 0, sum = 0;
    for (long long c = lane; c < p.cols; c += 32) {
      mean += row[c];
      row[c] = exp_t(row[c] - mx);
      sum += row[c];
    }
    mean = warp_sum(mean);
    sum = warp_sum(sum);
    if (lane == 0) {
      row_sum[r] = static_cast<T>(sum);
      row_geomean[r] = static_cast<T>(exp(mean / static_cast<double>(p.cols) - static_cast<double>(mx)));
    }
  }
}

template <class T>
__global__ void axpby_kernel(long long n, T alpha, const T* x, T beta, T* y) {
  ATTN_GRID_LOOP(i, n) y[i] = alpha * x[i] + (beta == T(0) ? T(0) : beta * y[i]);
}

template <class T>
__global__ void rsqrt_kernel(long long n, T* x) {
  ATTN_GRID_LOOP(i, n) x[i] = x[i] > T(0) ? static_cast<T>(1.0 / sqrt(static_cast<double>(x[i]))) : T(0);
}

unsigned warp_grid(long long rows) { return grid_for(rows * 32); }

}  // namespace

template <class T>
void row_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  const RowParams p = params_of(s);
  row_sq_norms_kernel<T><<<warp_grid(p.total_rows()), kBlockThreads, 0, stream_of(ctx)>>>(p, scale, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void col_sq_norms(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  const RowParams p = params_of(s);
  col_sums_kernel<T, true><<<grid_for(p.batch * p.cols), kBlockThreads, 0, stream_of(ctx)>>>(p, scale, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void col_sums(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  const RowParams p = params_of(s);
  col_sums_kernel<T, false><<<grid_for(p.batch * p.cols), kBlockThreads, 0, stream_of(ctx)>>>(p, scale, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void row_sums(const Context& ctx, const RowShape& s, const T* x, T* out) {
  const RowParams p = params_of(s);
  row_sums_kernel<T><<<warp_grid(p.total_rows()), kBlockThreads, 0, stream_of(ctx)>>>(p, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void row_logsumexp(const Context& ctx, const RowShape& s, const T* x, T* out) {
  const RowParams p = params_of(s);
  row_logsumexp_kernel<T><<<warp_grid(p.total_rows()), kBlockThreads, 0, stream_of(ctx)>>>(p, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void softmax_rows_lse(const Context& ctx, const RowShape& s, T* x, T* lse) {
  const RowParams p = params_of(s);
  softmax_rows_lse_kernel<T><<<warp_grid(p.total_rows()), kBlockThreads, 0, stream_of(ctx)>>>(p, x, lse);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void add_bias(const Context& ctx, const RowShape& s, const T* row_bias, const T* col_bias, int64_t col_stride, T* x) {
  const RowParams p = params_of(s);
  add_bias_kernel<T><<<grid_for(p.total_rows() * p.cols), kBlockThreads, 0, stream_of(ctx)>>>(p, row_bias, col_bias,
                                                                                             col_stride, x);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void scale_rows_cols(const Context& ctx, const RowShape& s, const T* row_scale, const T* col_scale, T* x) {
  const RowParams p = params_of(s);
  scale_rows_cols_kernel<T><<<grid_for(p.total_rows() * p.cols), kBlockThreads, 0, stream_of(ctx)>>>(p, row_scale,
                                                                                                    col_scale, x);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void normalize_rows(const Context& ctx, const RowShape& s, T scale, const T* x, T* out) {
  const RowParams p = params_of(s);
  normalize_rows_kernel<T><<<warp_grid(p.total_rows()), kBlockThreads, 0, stream_of(ctx)>>>(p, scale, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void block_max(const Context& ctx, const RowShape& s, bool accumulate, const T* x, T* out) {
  const RowParams p = params_of(s);
  block_max_kernel<T><<<static_cast<unsigned>(p.batch), kBlockThreads, 0, stream_of(ctx)>>>(p, accumulate, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void exp_shifted(const Context& ctx, const RowShape& s, const T* shift, T* x) {
  const RowParams p = params_of(s);
  exp_shifted_kernel<T><<<grid_for(p.total_rows() * p.cols), kBlockThreads, 0, stream_of(ctx)>>>(p, shift, x);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void exp_rows_with_stats(const Context& ctx, const RowShape& s, T* x, T* row_sum, T* row_geomean) {
  const RowParams p = params_of(s);
  exp_rows_with_stats_kernel<T><<<warp_grid(p.total_rows()), kBlockThreads, 0, stream_of(ctx)>>>(p, x, row_sum,
                                                                                                 row_geomean);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void axpby(const Context& ctx, int64_t n, T alpha, const T* x, T beta, T* y) {
  if (n == 0) return;
  axpby_kernel<T><<<grid_for(n), kBlockThreads, 0, stream_of(ctx)>>>(n, alpha, x, beta, y);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void rsqrt_inplace(const Context& ctx, int64_t n, T* x) {
  if (n == 0) return;
  rsqrt_kernel<T><<<grid_for(n), kBlockThreads, 0, stream_of(ctx)>>>(n, x);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

#define ATTN_CUDA_ROWWISE_INSTANTIATE(T)                                                                         \
  template void row_sq_norms<T>(const Context&, const RowShape&, T, const T*, T*);                               \
  template void col_sq_norms<T>(const Context&, const RowShape&, T, const T*, T*);                               \
  template void col_sums<T>(const Context&, const RowShape&, T, const T*, T*);                                   \
  template void row_sums<T>(const Context&, const RowShape&, const T*, T*);                                      \
  template void row_logsumexp<T>(const Context&, const RowShape&, const T*, T*);                                 \
  template void softmax_rows_lse<T>(const Context&, const RowShape&, T*, T*);                                    \
  template void add_bias<T>(const Context&, const RowShape&, const T*, const T*, int64_t, T*);                   \
  template void scale_rows_cols<T>(const Context&, const RowShape&, const T*, const T*, T*);                     \
  template void normalize_rows<T>(const Context&, const RowShape&, T, const T*, T*);                             \
  template void block_max<T>(const Context&, const RowShape&, bool, const T*, T*);                               \
  template void exp_shifted<T>(const Context&, const RowShape&, const T*, T*);                                   \
  template void exp_rows_with_stats<T>(const Context&, const RowShape&, T*, T*, T*);                             \
  template void axpby<T>(const Context&, int64_t, T, const T*, T, T*);                                           \
  template void rsqrt_inplace<T>(const Context&, int64_t, T*);
ATTN_CUDA_ROWWISE_INSTANTIATE(float)
ATTN_CUDA_ROWWISE_INSTANTIATE(double)

}  // namespace attn::ops::cuda
