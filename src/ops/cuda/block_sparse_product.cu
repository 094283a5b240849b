// Block-sparse unnormalized kernel product on the GPU: one warp per query row. For each key of the
// row's active key blocks (CSR row of its query block), the warp reduces s = x_i . y_j over the
// feature columns and adds s v_j to the row's output, held in registers (each lane owns the columns
// lane + 32 c); the row sum accumulates s. Inactive blocks are never read, so the work is
// O(nnz (p + dv)), as on the CPU. No scratch.
#include <cuda_runtime.h>

#include <string>

#include "core/error.hpp"
#include "ops/cuda/block_sparse_product.hpp"
#include "ops/cuda/common.cuh"

namespace attn::ops::cuda {

namespace {

constexpr int kMaxColsPerLane = 8;  // value_dim <= 256

struct ProductParams {
  long long batch, seq_len, features, value_dim;
  long long block, layout_heads;
  const int64_t* row_ptr;
  const int64_t* col_idx;
};

template <class T>
__global__ void block_sparse_product_kernel(ProductParams p, const T* x, const T* y, const T* v, T* out, T* rowsum) {
  const int lane = threadIdx.x % 32;
  const long long blocks = (p.seq_len + p.block - 1) / p.block;
  ATTN_WARP_LOOP(r, p.batch * p.seq_len) {
    const long long h = r / p.seq_len, i = r % p.seq_len;
    const long long row = (h % p.layout_heads) * blocks + i / p.block;
    const T* xi = x + r * p.features;
    T acc[kMaxColsPerLane];
#pragma unroll
    for (int c = 0; c < kMaxColsPerLane; ++c) acc[c] = T(0);
    T sum = T(0);
    for (long long e = p.row_ptr[row]; e < p.row_ptr[row + 1]; ++e) {
      const long long j0 = p.col_idx[e] * p.block;
      const long long j1 = j0 + p.block < p.seq_len ? j0 + p.block : p.seq_len;
      for (long long j = j0; j < j1; ++j) {
        const T* yj = y + (h * p.seq_len + j) * p.features;
        T s = T(0);
        for (long long f = lane; f < p.features; f += 32) s += xi[f] * yj[f];
        s = warp_sum(s);
        sum += s;
        const T* vj = v + (h * p.seq_len + j) * p.value_dim;
#pragma unroll
        for (int c = 0; c < kMaxColsPerLane; ++c) {
          const long long col = lane + 32LL * c;
          if (col < p.value_dim) acc[c] += s * vj[col];
        }
      }
    }
#pragma unroll
    for (int c = 0; c < kMaxColsPerLane; ++c) {
      const long long col = lane + 32LL * c;
      if (col < p.value_dim) out[r * p.value_dim + col] = acc[c];
    }
    if (lane == 0) rowsum[r] = sum;
  }
}

}  // namespace

template <class T>
void block_sparse_product(const Context& ctx, const BlockProductShape& s, const T* x, const T* y, const T* v, T* out,
                          T* rowsum) {
  if (s.value_dim > 32 * kMaxColsPerLane) {
    throw UnsupportedError("op 'block_sparse_product' has no CUDA kernel for value_dim " + std::to_string(s.value_dim) +
                           " (at most " + std::to_string(32 * kMaxColsPerLane) + ")");
  }
  const ProductParams p{s.batch, s.seq_len, s.features, s.value_dim, s.layout.block, s.layout.heads,
                        s.layout.row_ptr, s.layout.col_idx};
  block_sparse_product_kernel<T><<<grid_for(p.batch * p.seq_len * 32), kBlockThreads, 0, stream_of(ctx)>>>(
      p, x, y, v, out, rowsum);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void block_sparse_product<float>(const Context&, const BlockProductShape&, const float*, const float*,
                                          const float*, float*, float*);
template void block_sparse_product<double>(const Context&, const BlockProductShape&, const double*, const double*,
                                           const double*, double*, double*);

}  // namespace attn::ops::cuda
