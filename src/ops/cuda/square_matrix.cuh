// Kernels shared by the iterative inverses (pinv.cu, newton_inverse.cu) on batches of n x n
// matrices: x <- c I - x, and the largest column and row sums of |x| per matrix (double, as on the
// CPU). CUDA-only header; the kernels are templates, so each .cu that includes it gets one copy.
#pragma once

#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"

namespace attn::ops::cuda {

template <class T>
__global__ void diag_minus_kernel(long long batch, long long n, T c, T* x) {
  ATTN_GRID_LOOP(e, batch * n * n) {
    const long long ij = e % (n * n);
    x[e] = (ij / n == ij % n ? c : T(0)) - x[e];
  }
}

// x <- c I - x for each matrix of the batch.
template <class T>
void diag_minus(cudaStream_t stream, long long batch, long long n, T c, T* x) {
  diag_minus_kernel<T><<<grid_for(batch * n * n), kBlockThreads, 0, stream>>>(batch, n, c, x);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

// One block per matrix: col_max[b] = max_j sum_i |x_ij|, row_max[b] = max_i sum_j |x_ij|.
template <class T>
__global__ void abs_norms_kernel(long long n, const T* x, double* col_max, double* row_max) {
  __shared__ double partial[2][kWarpsPerBlock];
  const T* xb = x + blockIdx.x * n * n;
  double best_col = 0, best_row = 0;
  for (long long j = threadIdx.x; j < n; j += blockDim.x) {
    double col = 0, row = 0;
    for (long long i = 0; i < n; ++i) {
      col += fabs(static_cast<double>(xb[i * n + j]));
      row += fabs(static_cast<double>(xb[j * n + i]));
    }
    best_col = col > best_col ? col : best_col;
    best_row = row > best_row ? row : best_row;
  }
  best_col = warp_max(best_col);
  best_row = warp_max(best_row);
  if (threadIdx.x % 32 == 0) {
    partial[0][threadIdx.x / 32] = best_col;
    partial[1][threadIdx.x / 32] = best_row;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 0; w < kWarpsPerBlock; ++w) {
      best_col = partial[0][w] > best_col ? partial[0][w] : best_col;
      best_row = partial[1][w] > best_row ? partial[1][w] : best_row;
    }
    if (col_max != nullptr) col_max[blockIdx.x] = best_col;
    if (row_max != nullptr) row_max[blockIdx.x] = best_row;
  }
}

template <class T>
void abs_norms(cudaStream_t stream, long long batch, long long n, const T* x, double* col_max, double* row_max) {
  abs_norms_kernel<T><<<static_cast<unsigned>(batch), kBlockThreads, 0, stream>>>(n, x, col_max, row_max);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace attn::ops::cuda
