// Index sampling on the GPU, drawing from the CPU's Philox stream (core/philox.hpp) element for
// element, so the two devices pick the same indices.
//   without replacement: one thread per item computes the CPU's Gumbel key in double,
//     log(sqrt(max(0, a c)) + floor) - log(-log u) (-inf for zero weight), into the workspace
//     ("sample_without_replacement.keys", batch x n doubles); the existing top-k op
//     (ops/cuda/topk.cu: radix select + ordered compaction) then keeps the `count` largest with the
//     CPU's tie rule (lower position first) and writes them in ascending order, which is exactly the
//     CPU's partial_sort + sort. The uniform bits agree bit for bit; the device's log may differ from
//     glibc's by an ulp, so two keys within an ulp of each other could swap (never seen in practice).
//   with replacement: one thread per draw, rng.below (integer arithmetic: identical).
//   categorical rows: one block per row. The total, then chunks of kChunk entries staged in shared
//     memory as doubles; each thread scans kItems consecutive entries on top of a block-wide
//     exclusive scan of the thread sums, and the block keeps the first entry whose running sum
//     passes u * total with a positive probability (the CPU's rule; fallback: the last positive
//     entry). The sums are in double like the CPU's sequential loop, but in another order, so a row
//     whose u falls within rounding (~1e-16 relative) of a CDF boundary may pick the neighbour.
//   gaussian noise: one thread per element, x[i] += sd * normal(offset + i) (normals agree with the
//     host's to ~1 ulp: device log and cos).
#include <cuda_runtime.h>

#include <climits>
#include <cmath>

#include "core/philox.hpp"
#include "ops/cuda/common.cuh"
#include "ops/cuda/sampling.hpp"
#include "ops/cuda/topk.hpp"

namespace attn::ops::cuda {

namespace {

constexpr int kItems = 8;                          // consecutive entries per thread in a chunk
constexpr int kChunk = kBlockThreads * kItems;     // entries staged per chunk (18 KiB of doubles, padded)

// Shared-memory slot of chunk entry j: one pad double after every kItems, so the threads of a warp,
// each reading its own kItems consecutive entries, hit different banks (stride 9, not 8, doubles).
__device__ __forceinline__ int padded(int j) { return j + j / kItems; }

template <class T>
__global__ void gumbel_keys_kernel(long long total, const T* weight_a, const T* weight_b, double floor, uint64_t key,
                                   uint64_t offset, double* keys) {
  ATTN_GRID_LOOP(e, total) {
    const double a = weight_a ? static_cast<double>(weight_a[e]) : 1.0;
    const double c = weight_b ? static_cast<double>(weight_b[e]) : 1.0;
    const double prod = __dmul_rn(a, c);
    const double w = sqrt(0.0 < prod ? prod : 0.0) + floor;  // std::max(0.0, a c): NaN gives 0 as on the CPU
    const double u = philox::uniform(key, offset + static_cast<uint64_t>(e));
    keys[e] = w > 0 ? log(w) - log(-log(u)) : -HUGE_VAL;
  }
}

__global__ void below_kernel(long long total, uint64_t bound, uint64_t key, uint64_t offset, int64_t* idx) {
  ATTN_GRID_LOOP(e, total) idx[e] = static_cast<int64_t>(philox::below(key, offset + static_cast<uint64_t>(e), bound));
}

template <class T>
__global__ void gaussian_noise_kernel(long long n, double sd, uint64_t key, uint64_t offset, T* x) {
  // The product is rounded before the add (no fused multiply-add), as on the CPU.
  ATTN_GRID_LOOP(i, n) x[i] += static_cast<T>(__dmul_rn(sd, philox::normal(key, offset + static_cast<uint64_t>(i))));
}

// Sum of `v` over the block (every thread gets it); `slots` holds one value per warp.
__device__ double block_sum(double v, double* slots) {
  v = warp_sum(v);
  __syncthreads();  // the previous use of `slots` has been read by everyone
  if (threadIdx.x % 32 == 0) slots[threadIdx.x / 32] = v;
  __syncthreads();
  double all = 0;
  for (int w = 0; w < kWarpsPerBlock; ++w) all += slots[w];
  return all;
}

// Exclusive prefix sum of `v` over the block in thread order, and the block's total.
__device__ double block_exclusive_scan(double v, double* slots, double* total) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  double inclusive = v;
  for (int off = 1; off < 32; off <<= 1) {
    const double y = __shfl_up_sync(0xffffffffu, inclusive, off);
    if (lane >= off) inclusive += y;
  }
  double exclusive = __shfl_up_sync(0xffffffffu, inclusive, 1);
  if (lane == 0) exclusive = 0;
  __syncthreads();  // the previous use of `slots` has been read by everyone
  if (lane == 31) slots[warp] = inclusive;
  __syncthreads();
  double before = 0, all = 0;
  for (int w = 0; w < kWarpsPerBlock; ++w) {
    before += w < warp ? slots[w] : 0.0;
    all += slots[w];
  }
  *total = all;
  return before + exclusive;
}

// Minimum / maximum of `v` over the block (every thread gets it).
__device__ long long block_min(long long v, long long* slots) {
  for (int off = 16; off > 0; off >>= 1) {
    const long long o = __shfl_xor_sync(0xffffffffu, v, off);
    v = o < v ? o : v;
  }
  __syncthreads();
  if (threadIdx.x % 32 == 0) slots[threadIdx.x / 32] = v;
  __syncthreads();
  long long best = slots[0];
  for (int w = 1; w < kWarpsPerBlock; ++w) best = slots[w] < best ? slots[w] : best;
  return best;
}
__device__ long long block_max(long long v, long long* slots) { return -block_min(-v, slots); }

template <class T>
__global__ void __launch_bounds__(kBlockThreads)
    categorical_kernel(long long rows, long long n, const T* probs, uint64_t key, uint64_t offset, int64_t* idx) {
  __shared__ double stage[kChunk + kChunk / kItems];
  __shared__ double sum_slots[kWarpsPerBlock];
  __shared__ long long index_slots[kWarpsPerBlock];
  for (long long r = blockIdx.x; r < rows; r += gridDim.x) {  // the same r for the whole block
    const T* p = probs + r * n;
    double part = 0;
    for (long long j = threadIdx.x; j < n; j += blockDim.x) part += static_cast<double>(p[j]);
    const double u = philox::uniform(key, offset + static_cast<uint64_t>(r)) * block_sum(part, sum_slots);
    double base = 0;  // sum of the entries of the chunks before this one
    long long pick = LLONG_MAX, last_positive = -1;
    for (long long c0 = 0; c0 < n; c0 += kChunk) {
      const int len = static_cast<int>(n - c0 < kChunk ? n - c0 : kChunk);
      __syncthreads();  // everyone is done with the previous chunk's stage
      for (int j = threadIdx.x; j < len; j += blockDim.x) stage[padded(j)] = static_cast<double>(p[c0 + j]);
      __syncthreads();
      const int j0 = threadIdx.x * kItems;
      double v[kItems];
      double mine = 0;
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        v[i] = j0 + i < len ? stage[padded(j0 + i)] : 0.0;
        mine += v[i];  // entries past the row are 0 and change nothing below
      }
      double chunk_total = 0;
      double acc = base + block_exclusive_scan(mine, sum_slots, &chunk_total);
      long long found = LLONG_MAX, positive = -1;
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        if (found != LLONG_MAX) continue;  // the CPU stops at its pick
        if (v[i] > 0) positive = c0 + j0 + i;
        acc += v[i];
        if (acc > u && v[i] > 0) found = c0 + j0 + i;
      }
      const long long chunk_last = block_max(positive, index_slots);
      if (chunk_last > last_positive) last_positive = chunk_last;
      pick = block_min(found, index_slots);
      if (pick != LLONG_MAX) break;  // block-uniform: every thread leaves together
      base += chunk_total;
    }
    if (threadIdx.x == 0) idx[r] = pick != LLONG_MAX ? pick : (last_positive >= 0 ? last_positive : 0);
  }
}

}  // namespace

template <class T>
void sample_without_replacement(const Context& ctx, const SampleShape& s, const T* weight_a, const T* weight_b,
                                double floor, const Rng& rng, uint64_t offset, int64_t* idx) {
  const long long total = s.batch * s.n;
  double* keys = ctx.ws().get<double>("sample_without_replacement.keys", total);
  gumbel_keys_kernel<T><<<grid_for(total), kBlockThreads, 0, stream_of(ctx)>>>(total, weight_a, weight_b, floor,
                                                                                rng.key(), offset, keys);
  ATTN_CUDA_CHECK(cudaGetLastError());
  topk_indices<double>(ctx, s.batch, s.n, s.count, keys, idx);
}

void sample_with_replacement(const Context& ctx, const SampleShape& s, const Rng& rng, uint64_t offset, int64_t* idx) {
  const long long total = s.batch * s.count;
  below_kernel<<<grid_for(total), kBlockThreads, 0, stream_of(ctx)>>>(total, static_cast<uint64_t>(s.n), rng.key(),
                                                                      offset, idx);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void sample_categorical_rows(const Context& ctx, const SampleShape& s, const T* probs, const Rng& rng, uint64_t offset,
                             int64_t* idx) {
  const long long rows = s.batch * s.count;
  categorical_kernel<T><<<grid_for(rows, 1), kBlockThreads, 0, stream_of(ctx)>>>(rows, s.n, probs, rng.key(), offset,
                                                                                  idx);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void add_gaussian_noise(const Context& ctx, int64_t n, double sd, const Rng& rng, uint64_t offset, T* x) {
  if (sd == 0 || n == 0) return;
  gaussian_noise_kernel<T><<<grid_for(n), kBlockThreads, 0, stream_of(ctx)>>>(n, sd, rng.key(), offset, x);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void add_gaussian_noise<float>(const Context&, int64_t, double, const Rng&, uint64_t, float*);
template void add_gaussian_noise<double>(const Context&, int64_t, double, const Rng&, uint64_t, double*);
template void sample_without_replacement<float>(const Context&, const SampleShape&, const float*, const float*, double,
                                                const Rng&, uint64_t, int64_t*);
template void sample_without_replacement<double>(const Context&, const SampleShape&, const double*, const double*,
                                                 double, const Rng&, uint64_t, int64_t*);
template void sample_categorical_rows<float>(const Context&, const SampleShape&, const float*, const Rng&, uint64_t,
                                             int64_t*);
template void sample_categorical_rows<double>(const Context&, const SampleShape&, const double*, const Rng&, uint64_t,
                                              int64_t*);

}  // namespace attn::ops::cuda
