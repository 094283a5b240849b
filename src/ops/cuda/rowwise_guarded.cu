// divide_rows_guarded on the GPU. It needs the median |den| of each block: one thread block per
// batch finds it by a bitwise radix select on the IEEE bit patterns (for non-negative values the bit
// pattern orders like the value), then divides its rows; the bad-row count comes back through one
// device counter, read on the host (the op returns it).
#include <cuda_runtime.h>

#include <cstdint>

#include "ops/cuda/common.cuh"
#include "ops/cuda/row_params.cuh"
#include "ops/cuda/rowwise.hpp"

namespace attn::ops::cuda {

namespace {

// Unsigned key with the order of a non-negative T (its bit pattern).
template <class T>
struct KeyOf;
template <>
struct KeyOf<float> {
  using type = unsigned int;
  static __device__ type get(float v) { return __float_as_uint(fabsf(v)); }
  static __device__ double value(type k) { return __uint_as_float(k); }
};
template <>
struct KeyOf<double> {
  using type = unsigned long long;
  static __device__ type get(double v) { return static_cast<type>(__double_as_longlong(fabs(v))); }
  static __device__ double value(type k) { return __longlong_as_double(static_cast<long long>(k)); }
};

// The k-th smallest |den| of one block of `rows` (k = rows / 2, std::nth_element's position), by
// bitwise radix select: the largest key v with count(key < v) <= k.
template <class T>
__device__ double block_median_abs(const T* den, long long rows, unsigned long long* shared_count) {
  using Key = typename KeyOf<T>::type;
  const long long k = rows / 2;
  Key result = 0;
  for (int bit = static_cast<int>(sizeof(Key) * 8) - 1; bit >= 0; --bit) {
    const Key cand = result | (Key(1) << bit);
    unsigned long long count = 0;
    for (long long r = threadIdx.x; r < rows; r += blockDim.x) count += KeyOf<T>::get(den[r]) < cand ? 1 : 0;
    count = warp_sum(count);
    if (threadIdx.x == 0) *shared_count = 0;
    __syncthreads();
    if (threadIdx.x % 32 == 0) atomicAdd(shared_count, count);
    __syncthreads();
    if (*shared_count <= static_cast<unsigned long long>(k)) result = cand;
    __syncthreads();  // everyone has read the count before it is reset
  }
  return KeyOf<T>::value(result);
}

template <class T>
__global__ void divide_rows_guarded_kernel(RowParams p, const T* den, double rel_tau, const T* fallback, T* x,
                                           unsigned long long* bad_count) {
  __shared__ unsigned long long shared_count;
  const long long b = blockIdx.x;
  const T* db = den + b * p.rows;
  const double eps = rel_tau * block_median_abs(db, p.rows, &shared_count);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  unsigned long long bad = 0;
  for (long long r = warp; r < p.rows; r += blockDim.x / 32) {
    T* row = x + b * p.stride + r * p.ld;
    double d = db[r];
    const bool is_bad = !isfinite(d) || d <= eps;
    bad += is_bad ? 1 : 0;
    if (is_bad && fallback != nullptr) {
      const T* fb = fallback + b * p.stride + r * p.ld;
      for (long long c = lane; c < p.cols; c += 32) row[c] = fb[c];
      continue;
    }
    if (fabs(d) <= eps) d += 2 * eps;
    const T inv = static_cast<T>(1.0 / d);
    for (long long c = lane; c < p.cols; c += 32) row[c] *= inv;
  }
  if (lane == 0 && bad > 0) atomicAdd(bad_count, bad);
}

}  // namespace

template <class T>
int64_t divide_rows_guarded(const Context& ctx, const RowShape& s, const T* den, double rel_tau, const T* fallback, T* x) {
  ATTN_CHECK(ctx.workspace != nullptr, "cuda divide_rows_guarded: the context needs a workspace");
  const RowParams p = params_of(s);
  auto* counter = ctx.ws().get<unsigned long long>("divide_rows_guarded.bad", 1);
  ATTN_CUDA_CHECK(cudaMemsetAsync(counter, 0, sizeof(*counter), stream_of(ctx)));
  divide_rows_guarded_kernel<T><<<static_cast<unsigned>(p.batch), kBlockThreads, 0, stream_of(ctx)>>>(
      p, den, rel_tau, fallback, x, counter);
  ATTN_CUDA_CHECK(cudaGetLastError());
  return read_counter(ctx, counter);
}

template int64_t divide_rows_guarded<float>(const Context&, const RowShape&, const float*, double, const float*,
                                           float*);
template int64_t divide_rows_guarded<double>(const Context&, const RowShape&, const double*, double, const double*,
                                            double*);

}  // namespace attn::ops::cuda
