// LSH on the GPU.
//   lsh_hash: one thread per (head, row, hash) computes its `bits` projections and packs the signs
//     (a projection within rounding of 0 may flip relative to the CPU's BLAS order; YOSO's tests
//     bound that by rows, not by nmse).
//   lsh_bucket_sum: per hash, keys scatter-add their value rows into a 2^bits x dv table per head
//     (atomics), then every query adds its bucket's row; the tables live in the workspace
//     ("lsh.tables", batch x 2^bits x dv), one hash at a time.
//   lsh_sort: CUB's segmented radix sort of the first hash's codes with the positions as values
//     (LSD radix sort is stable: ties keep sequence order, as std::stable_sort on the CPU); keys,
//     positions and CUB's temporary storage come from the workspace.
#include <cub/device/device_segmented_radix_sort.cuh>
#include <cuda_runtime.h>

#include <climits>

#include "ops/cuda/common.cuh"
#include "ops/cuda/lsh.hpp"

namespace attn::ops::cuda {

namespace {

template <class T>
__global__ void lsh_hash_kernel(long long batch, long long n, long long d, long long hashes, long long bits,
                                const T* x, const T* planes, int32_t* codes) {
  ATTN_GRID_LOOP(e, batch * hashes * n) {
    const long long i = e % n, f = (e / n) % hashes, b = e / (n * hashes);
    const T* xi = x + (b * n + i) * d;
    int32_t code = 0;
    for (long long t = 0; t < bits; ++t) {
      const T* plane = planes + (b * hashes * bits + f * bits + t) * d;
      T acc = T(0);
      for (long long c = 0; c < d; ++c) acc += plane[c] * xi[c];
      if (acc > T(0)) code |= int32_t{1} << t;
    }
    codes[e] = code;  // layout [batch, hashes, n]
  }
}

template <class T>
__global__ void scatter_add_kernel(long long n, long long dv, long long buckets, long long hashes, long long f,
                                   long long batch, const int32_t* k_codes, const T* v, T* tables) {
  ATTN_GRID_LOOP(e, batch * n * dv) {
    const long long c = e % dv, j = (e / dv) % n, b = e / (n * dv);
    const int32_t code = k_codes[(b * hashes + f) * n + j];
    atomicAdd(tables + (b * buckets + code) * dv + c, v[e]);
  }
}

template <class T>
__global__ void gather_add_kernel(long long n, long long dv, long long buckets, long long hashes, long long f,
                                  long long batch, T scale, const int32_t* q_codes, const T* tables, T* out) {
  ATTN_GRID_LOOP(e, batch * n * dv) {
    const long long c = e % dv, i = (e / dv) % n, b = e / (n * dv);
    const int32_t code = q_codes[(b * hashes + f) * n + i];
    const T add = tables[(b * buckets + code) * dv + c];
    out[e] = (f == 0 ? T(0) : out[e]) + add;
    if (f + 1 == hashes) out[e] *= scale;
  }
}

__global__ void sort_inputs_kernel(long long batch, long long n, long long hashes, const int32_t* codes, int32_t* keys,
                                   int64_t* positions, int* offsets) {
  ATTN_GRID_LOOP(e, batch * n) {
    const long long b = e / n, i = e % n;
    keys[e] = codes[b * hashes * n + i];  // the first hash of head b
    positions[e] = i;
    if (i == 0) offsets[b] = static_cast<int>(b * n);
    if (e == 0) offsets[batch] = static_cast<int>(batch * n);
  }
}

}  // namespace

template <class T>
void lsh_hash(const Context& ctx, const LshShape& s, const T* x, const T* planes, int32_t* codes) {
  lsh_hash_kernel<T><<<grid_for(s.batch * s.hashes * s.seq_len), kBlockThreads, 0, stream_of(ctx)>>>(
      s.batch, s.seq_len, s.head_dim, s.hashes, s.bits, x, planes, codes);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void lsh_bucket_sum(const Context& ctx, const LshShape& s, int64_t value_dim, const int32_t* q_codes,
                    const int32_t* k_codes, const T* v, T* out) {
  const long long n = s.seq_len, dv = value_dim, buckets = 1LL << s.bits, items = s.batch * n * dv;
  T* tables = ctx.ws().get<T>("lsh.tables", s.batch * buckets * dv);
  const cudaStream_t stream = stream_of(ctx);
  const T scale = T(1) / static_cast<T>(s.hashes);
  for (long long f = 0; f < s.hashes; ++f) {
    ATTN_CUDA_CHECK(cudaMemsetAsync(tables, 0, sizeof(T) * s.batch * buckets * dv, stream));
    scatter_add_kernel<T><<<grid_for(items), kBlockThreads, 0, stream>>>(n, dv, buckets, s.hashes, f, s.batch, k_codes,
                                                                         v, tables);
    ATTN_CUDA_CHECK(cudaGetLastError());
    gather_add_kernel<T><<<grid_for(items), kBlockThreads, 0, stream>>>(n, dv, buckets, s.hashes, f, s.batch, scale,
                                                                        q_codes, tables, out);
    ATTN_CUDA_CHECK(cudaGetLastError());
  }
}

void lsh_sort(const Context& ctx, const LshShape& s, const int32_t* codes, int64_t* perm) {
  const long long n = s.seq_len, items = s.batch * n;
  ATTN_CHECK(items <= INT_MAX, "cuda lsh_sort: more rows than CUB's int offsets hold");
  const cudaStream_t stream = stream_of(ctx);
  auto* keys = ctx.ws().get<int32_t>("lsh_sort.keys", 2 * items);
  auto* positions = ctx.ws().get<int64_t>("lsh_sort.positions", items);
  auto* offsets = ctx.ws().get<int>("lsh_sort.offsets", s.batch + 1);
  sort_inputs_kernel<<<grid_for(items), kBlockThreads, 0, stream>>>(s.batch, n, s.hashes, codes, keys, positions,
                                                                    offsets);
  ATTN_CUDA_CHECK(cudaGetLastError());
  const int end_bit = s.bits > 0 ? static_cast<int>(s.bits) : 1;
  std::size_t temp_bytes = 0;
  ATTN_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(nullptr, temp_bytes, keys, keys + items, positions, perm,
                                                           static_cast<int>(items), static_cast<int>(s.batch), offsets,
                                                           offsets + 1, 0, end_bit, stream));
  void* temp = ctx.ws().get_bytes("lsh_sort.temp", std::max<std::size_t>(1, temp_bytes));
  ATTN_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(temp, temp_bytes, keys, keys + items, positions, perm,
                                                           static_cast<int>(items), static_cast<int>(s.batch), offsets,
                                                           offsets + 1, 0, end_bit, stream));
}

template void lsh_hash<float>(const Context&, const LshShape&, const float*, const float*, int32_t*);
template void lsh_hash<double>(const Context&, const LshShape&, const double*, const double*, int32_t*);
template void lsh_bucket_sum<float>(const Context&, const LshShape&, int64_t, const int32_t*, const int32_t*,
                                    const float*, float*);
template void lsh_bucket_sum<double>(const Context&, const LshShape&, int64_t, const int32_t*, const int32_t*,
                                     const double*, double*);

}  // namespace attn::ops::cuda
