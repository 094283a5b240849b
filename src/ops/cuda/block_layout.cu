// CSR from flat block ids on the GPU, one thread block per head: (1) per-row counts with atomics
// into the head's own row_ptr entries; (2) one thread turns them into offsets starting at
// head * count (each head's rows follow the previous head's, as on the CPU; a head never writes the
// entry its predecessor owns); (3) every id is placed at its row's start plus its rank among the
// row's ids (the ids are unique, so the rank is a count of smaller columns in the same row: O(count)
// per id, which keeps each row sorted without a sort; count is the few blocks MRA refines).
#include <cuda_runtime.h>

#include "ops/cuda/block_layout.hpp"
#include "ops/cuda/common.cuh"

namespace attn::ops::cuda {

namespace {

__global__ void layout_from_indices_kernel(long long blocks, long long count, const int64_t* idx, int64_t* row_ptr,
                                           int64_t* col_idx) {
  const long long h = blockIdx.x;
  int64_t* rp = row_ptr + h * blocks;  // rp[1..blocks] belong to this head; rp[0] to the previous one
  const int64_t* ids = idx + h * count;
  if (h == 0 && threadIdx.x == 0) row_ptr[0] = 0;
  for (long long a = threadIdx.x; a < blocks; a += blockDim.x) rp[a + 1] = 0;
  __syncthreads();
  for (long long e = threadIdx.x; e < count; e += blockDim.x)
    atomicAdd(reinterpret_cast<unsigned long long*>(rp + 1 + ids[e] / blocks), 1ull);
  __syncthreads();
  if (threadIdx.x == 0) {
    long long run = h * count;
    for (long long a = 0; a < blocks; ++a) {
      run += rp[a + 1];
      rp[a + 1] = run;
    }
  }
  __syncthreads();
  for (long long e = threadIdx.x; e < count; e += blockDim.x) {
    const long long flat = ids[e], row = flat / blocks, col = flat % blocks;
    long long rank = 0;
    for (long long f = 0; f < count; ++f) {
      const long long other = ids[f];
      rank += (other / blocks == row && other % blocks < col) ? 1 : 0;
    }
    const long long start = row == 0 ? h * count : rp[row];
    col_idx[start + rank] = col;
  }
}

}  // namespace

void layout_from_indices(const Context& ctx, int64_t heads, int64_t blocks, int64_t count, const int64_t* idx,
                         int64_t* row_ptr, int64_t* col_idx) {
  layout_from_indices_kernel<<<static_cast<unsigned>(heads), kBlockThreads, 0, stream_of(ctx)>>>(blocks, count, idx,
                                                                                                 row_ptr, col_idx);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace attn::ops::cuda
