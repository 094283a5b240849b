// Small device helpers shared by the CUDA ops (CUDA-only; never included by CPU code): launch
// geometry for grid-stride loops, warp reductions, the context's stream, and reading back a device
// counter (the few ops that return a count synchronize the stream for it).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>

#include "core/context.hpp"
#include "core/cuda/cuda_check.cuh"
#include "core/error.hpp"

namespace attn::ops::cuda {

constexpr int kBlockThreads = 256;
constexpr int kWarpsPerBlock = kBlockThreads / 32;

inline cudaStream_t stream_of(const Context& ctx) { return static_cast<cudaStream_t>(ctx.stream); }

// Blocks for a grid-stride loop over `n` items (capped: every kernel loops over the rest).
inline unsigned grid_for(long long n, int threads = kBlockThreads) {
  const long long blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(std::clamp<long long>(blocks, 1, 1 << 20));
}

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}
template <class T>
__device__ __forceinline__ T warp_max(T v) {
  for (int off = 16; off > 0; off >>= 1) {
    const T o = __shfl_xor_sync(0xffffffffu, v, off);
    v = o > v ? o : v;
  }
  return v;
}

// Grid-stride loop over items, and over rows with one warp per row (a row index is the same for all
// lanes of a warp, so warp shuffles inside the loop are safe).
#define ATTN_GRID_LOOP(i, n)                                                                   \
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<long long>(gridDim.x) * blockDim.x)
#define ATTN_WARP_LOOP(r, n)                                                                          \
  for (long long r = (blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x) / 32; r < (n); \
       r += static_cast<long long>(gridDim.x) * blockDim.x / 32)

// Full-precision exponential of T (expf, not __expf: the CPU-vs-GPU tests compare to ~1e-7).
__device__ __forceinline__ float exp_t(float x) { return expf(x); }
__device__ __forceinline__ double exp_t(double x) { return exp(x); }

// Copies a device counter to the host after the stream's queued work (one synchronization).
inline long long read_counter(const Context& ctx, const unsigned long long* counter) {
  unsigned long long host = 0;
  ATTN_CUDA_CHECK(cudaMemcpyAsync(&host, counter, sizeof(host), cudaMemcpyDeviceToHost, stream_of(ctx)));
  ATTN_CUDA_CHECK(cudaStreamSynchronize(stream_of(ctx)));
  return static_cast<long long>(host);
}

}  // namespace attn::ops::cuda
