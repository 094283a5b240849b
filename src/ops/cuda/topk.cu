// Top-k on the GPU, one thread block per batch row, without sorting: (1) the k-th largest value by
// a bitwise radix select on order-preserving integer keys (the largest key t with count(key >= t)
// >= k, one counting pass per bit); (2) an ordered compaction over the positions in chunks of the
// block: a position is chosen when its key is above t, or equal to t and among the first
// k - count(key > t) equal ones (ties to the lower position, as on the CPU). Chosen positions are
// written in ascending order, so no sort is needed. -0 and +0 count as different values here.
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/topk.hpp"

namespace attn::ops::cuda {

namespace {

// Unsigned keys ordered like the floating-point values (negative values: all bits flipped).
__device__ __forceinline__ unsigned int ordered_key(float v) {
  const unsigned int u = __float_as_uint(v);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
__device__ __forceinline__ unsigned long long ordered_key(double v) {
  const auto u = static_cast<unsigned long long>(__double_as_longlong(v));
  return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}

// Sum of `value` over the block (every thread gets it); `slot` is one shared counter.
__device__ unsigned long long block_count(unsigned long long value, unsigned long long* slot) {
  value = warp_sum(value);
  __syncthreads();  // the previous count has been read by everyone
  if (threadIdx.x == 0) *slot = 0;
  __syncthreads();
  if (threadIdx.x % 32 == 0) atomicAdd(slot, value);
  __syncthreads();
  return *slot;
}

// Exclusive prefix of `flag` over the block in thread order, and the block's total.
__device__ int block_prefix(bool flag, int* warp_totals, int* total) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const unsigned int ballot = __ballot_sync(0xffffffffu, flag);
  const int in_warp = __popc(ballot & ((1u << lane) - 1u));
  __syncthreads();  // warp_totals of the previous chunk have been read
  if (lane == 0) warp_totals[warp] = __popc(ballot);
  __syncthreads();
  int before = 0, all = 0;
  for (int w = 0; w < kWarpsPerBlock; ++w) {
    before += w < warp ? warp_totals[w] : 0;
    all += warp_totals[w];
  }
  *total = all;
  return before + in_warp;
}

template <class T>
__global__ void topk_kernel(long long n, long long k, const T* x, int64_t* idx) {
  using Key = decltype(ordered_key(T(0)));
  __shared__ unsigned long long count_slot;
  __shared__ int warp_totals[kWarpsPerBlock];
  const T* v = x + blockIdx.x * n;
  int64_t* out = idx + blockIdx.x * k;
  Key t = 0;
  for (int bit = static_cast<int>(sizeof(Key) * 8) - 1; bit >= 0; --bit) {
    const Key cand = t | (Key(1) << bit);
    unsigned long long c = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) c += ordered_key(v[i]) >= cand ? 1 : 0;
    if (block_count(c, &count_slot) >= static_cast<unsigned long long>(k)) t = cand;
  }
  unsigned long long above = 0;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) above += ordered_key(v[i]) > t ? 1 : 0;
  const long long need_equal = k - static_cast<long long>(block_count(above, &count_slot));
  long long written = 0, equal_seen = 0;
  for (long long start = 0; start < n; start += blockDim.x) {  // every thread runs every chunk
    const long long i = start + threadIdx.x;
    const Key key = i < n ? ordered_key(v[i]) : Key(0);
    const bool is_equal = i < n && key == t;
    int equal_total = 0, chosen_total = 0;
    const long long equal_rank = equal_seen + block_prefix(is_equal, warp_totals, &equal_total);
    const bool chosen = i < n && (key > t || (is_equal && equal_rank < need_equal));
    const long long at = written + block_prefix(chosen, warp_totals, &chosen_total);
    if (chosen) out[at] = i;
    written += chosen_total;
    equal_seen += equal_total;
  }
}

template <class T>
__global__ void fill_at_kernel(long long batch, long long n, long long k, const int64_t* idx, T value, T* x) {
  ATTN_GRID_LOOP(e, batch * k) x[(e / k) * n + idx[e]] = value;
}

}  // namespace

template <class T>
void topk_indices(const Context& ctx, int64_t batch, int64_t n, int64_t k, const T* x, int64_t* idx) {
  if (k == 0) return;
  topk_kernel<T><<<static_cast<unsigned>(batch), kBlockThreads, 0, stream_of(ctx)>>>(n, k, x, idx);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void fill_at(const Context& ctx, int64_t batch, int64_t n, int64_t k, const int64_t* idx, T value, T* x) {
  if (k == 0) return;
  fill_at_kernel<T><<<grid_for(batch * k), kBlockThreads, 0, stream_of(ctx)>>>(batch, n, k, idx, value, x);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void topk_indices<float>(const Context&, int64_t, int64_t, int64_t, const float*, int64_t*);
template void topk_indices<double>(const Context&, int64_t, int64_t, int64_t, const double*, int64_t*);
template void fill_at<float>(const Context&, int64_t, int64_t, int64_t, const int64_t*, float, float*);
template void fill_at<double>(const Context&, int64_t, int64_t, int64_t, const int64_t*, double, double*);

}  // namespace attn::ops::cuda
