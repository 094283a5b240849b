// Gaussian kernel matrix on the GPU, the CPU's algebra: out = scale^2 a b^T by one cuBLAS batched
// GEMM, the half squared norms of every point (one warp per point, fp64, into
// "gaussian_kernel.half_sq" of the workspace), then out = exp(min(0, out - h_a - h_b)) elementwise.
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/gaussian_kernel.hpp"
#include "ops/cuda/gemm.hpp"

namespace attn::ops::cuda {

namespace {

template <class T>
__global__ void half_sq_kernel(long long points, long long dim, double s2, const T* x, double* h) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, points) {
    double acc = 0;
    for (long long c = lane; c < dim; c += 32) acc += static_cast<double>(x[r * dim + c]) * x[r * dim + c];
    acc = warp_sum(acc);
    if (lane == 0) h[r] = 0.5 * s2 * acc;
  }
}

template <class T>
__global__ void exp_kernel(long long batch, long long rows, long long cols, const double* ha, const double* hb, T* out) {
  ATTN_GRID_LOOP(e, batch * rows * cols) {
    const long long j = e % cols, bi = e / cols, b = bi / rows;
    const double v = static_cast<double>(out[e]) - ha[bi] - hb[b * cols + j];
    out[e] = static_cast<T>(exp(v < 0.0 ? v : 0.0));
  }
}

}  // namespace

template <class T>
void gaussian_kernel(const Context& ctx, const GaussianKernelShape& s, T scale, const T* a, const T* b, T* out) {
  ATTN_CHECK(ctx.workspace != nullptr, "cuda gaussian_kernel: the context needs a workspace");
  const double s2 = static_cast<double>(scale) * scale;
  cuda::gemm<T>(ctx, gemm_shape(Trans::no, Trans::yes, s.rows, s.cols, s.dim, s.batch), static_cast<T>(s2), a, b, T(0),
                out);
  double* ha = ctx.ws().get<double>("gaussian_kernel.half_sq", s.batch * (s.rows + s.cols));
  double* hb = ha + s.batch * s.rows;
  const cudaStream_t stream = stream_of(ctx);
  half_sq_kernel<T><<<grid_for(s.batch * s.rows * 32), kBlockThreads, 0, stream>>>(s.batch * s.rows, s.dim, s2, a, ha);
  ATTN_CUDA_CHECK(cudaGetLastError());
  half_sq_kernel<T><<<grid_for(s.batch * s.cols * 32), kBlockThreads, 0, stream>>>(s.batch * s.cols, s.dim, s2, b, hb);
  ATTN_CUDA_CHECK(cudaGetLastError());
  exp_kernel<T><<<grid_for(s.batch * s.rows * s.cols), kBlockThreads, 0, stream>>>(s.batch, s.rows, s.cols, ha, hb, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void gaussian_kernel<float>(const Context&, const GaussianKernelShape&, float, const float*, const float*,
                                     float*);
template void gaussian_kernel<double>(const Context&, const GaussianKernelShape&, double, const double*, const double*,
                                      double*);

}  // namespace attn::ops::cuda
