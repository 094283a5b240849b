// Instance normalization on the GPU: one thread per (batch item, column) makes the CPU's passes
// over its column (fp64 mean, fp64 biased variance, then the affine map), so x == out is safe and
// adjacent threads read adjacent columns of each row (coalesced).
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/instance_norm.hpp"

namespace attn::ops::cuda {

namespace {

template <class T>
__global__ void instance_norm_kernel(long long batch, long long rows, long long cols, double eps, const T* x, T* out) {
  ATTN_GRID_LOOP(e, batch * cols) {
    const long long b = e / cols, c = e % cols;
    const T* xb = x + b * rows * cols + c;
    T* ob = out + b * rows * cols + c;
    double mean = 0;
    for (long long r = 0; r < rows; ++r) mean += static_cast<double>(xb[r * cols]);
    mean /= static_cast<double>(rows);
    double sq = 0;
    for (long long r = 0; r < rows; ++r) {
      const double dv = static_cast<double>(xb[r * cols]) - mean;
      sq += dv * dv;
    }
    const double inv = 1.0 / sqrt(sq / static_cast<double>(rows) + eps);
    for (long long r = 0; r < rows; ++r) ob[r * cols] = static_cast<T>((static_cast<double>(xb[r * cols]) - mean) * inv);
  }
}

}  // namespace

template <class T>
void instance_norm(const Context& ctx, int64_t batch, int64_t rows, int64_t cols, double eps, const T* x, T* out) {
  instance_norm_kernel<T><<<grid_for(batch * cols), kBlockThreads, 0, stream_of(ctx)>>>(batch, rows, cols, eps, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void instance_norm<float>(const Context&, int64_t, int64_t, int64_t, double, const float*, float*);
template void instance_norm<double>(const Context&, int64_t, int64_t, int64_t, double, const double*, double*);

}  // namespace attn::ops::cuda
