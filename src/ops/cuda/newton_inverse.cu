// SOFT's Newton-Schulz inverse on the GPU, following ops/cpu/newton_inverse.cpp: P = A + ridge I,
// V0 = alpha P, then V <- V (2I - P V) by two cuBLAS batched GEMMs per iteration. The step size is
// decided on the device so nothing crosses to the host:
//   per_matrix: alpha_b = 1.8 / (max row |.|-sum of A_b)^2 (1 when A_b = 0);
//   normalized: alpha0 = 2 / (max over all batches of row |.|-sums of P)^2, then the CPU's halving
//     test (max column |.|-sum of I - alpha P P over all batches <= 1.01, at most 10 halvings) is
//     evaluated for all ten candidate alphas in one pass (P P in double, one thread per column, as
//     the CPU loop does), and a single thread picks the first that passes.
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/gemm.hpp"
#include "ops/cuda/newton_inverse.hpp"
#include "ops/cuda/square_matrix.cuh"

namespace attn::ops::cuda {

namespace {

constexpr int kHalvings = kNewtonHalvings;

template <class T>
__global__ void add_ridge_kernel(long long batch, long long m, const T* a, T ridge, T* p) {
  ATTN_GRID_LOOP(e, batch * m * m) {
    const long long ij = e % (m * m);
    p[e] = a[e] + (ij / m == ij % m ? ridge : T(0));
  }
}

// alpha[b] from the row sums (per_matrix), or alpha0 for all (normalized) into alpha[0..batch).
__global__ void base_alpha_kernel(long long batch, bool per_matrix, const double* row_max, double* alpha) {
  ATTN_GRID_LOOP(b, batch) {
    if (per_matrix) {
      const double r = row_max[b];
      alpha[b] = r > 0 ? 0.9 * 2.0 / (r * r) : 1.0;
    } else {
      double r = 0;
      for (long long i = 0; i < batch; ++i) r = row_max[i] > r ? row_max[i] : r;
      alpha[b] = r > 0 ? 2.0 / (r * r) : 1.0;
    }
  }
}

// worst[h] = max over batches and columns of sum_i |delta_ij - alpha0 2^-h (P P)_ij|, for h < 10.
// Non-negative doubles order like their bit patterns, so the max is an integer atomicMax.
template <class T>
__global__ void halving_residuals_kernel(long long batch, long long m, const T* p, const double* alpha,
                                         unsigned long long* worst) {
  ATTN_GRID_LOOP(e, batch * m) {
    const long long b = e / m, j = e % m;
    const T* pb = p + b * m * m;
    double col[kHalvings] = {};
    for (long long i = 0; i < m; ++i) {
      double pp = 0;
      for (long long k = 0; k < m; ++k) pp += static_cast<double>(pb[i * m + k]) * static_cast<double>(pb[k * m + j]);
      double al = alpha[0];
      for (int h = 0; h < kHalvings; ++h, al *= 0.5) col[h] += fabs((i == j ? 1.0 : 0.0) - al * pp);
    }
    for (int h = 0; h < kHalvings; ++h) atomicMax(worst + h, static_cast<unsigned long long>(__double_as_longlong(col[h])));
  }
}

__global__ void pick_alpha_kernel(long long batch, const unsigned long long* worst, double* alpha) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  double al = alpha[0];
  for (int h = 0; h < kHalvings; ++h) {
    if (__longlong_as_double(static_cast<long long>(worst[h])) <= 1.01) break;
    al *= 0.5;
  }
  for (long long b = 0; b < batch; ++b) alpha[b] = al;
}

template <class T>
__global__ void scaled_copy_kernel(long long batch, long long m, const double* alpha, const T* p, T* v) {
  ATTN_GRID_LOOP(e, batch * m * m) v[e] = static_cast<T>(alpha[e / (m * m)] * static_cast<double>(p[e]));
}

}  // namespace

template <class T>
void newton_inverse(const Context& ctx, const NewtonInverseShape& s, const T* a, T* v) {
  const long long m = s.size, mm = m * m, batch = s.batch;
  const cudaStream_t stream = stream_of(ctx);
  T* p = ctx.ws().get<T>("newton_inverse.p", batch * mm);
  T* t = ctx.ws().get<T>("newton_inverse.t", batch * mm);
  T* u = ctx.ws().get<T>("newton_inverse.u", batch * mm);
  double* alpha = ctx.ws().get<double>("newton_inverse.alpha", 2 * batch + kHalvings);
  double* row_max = alpha + batch;
  auto* worst = reinterpret_cast<unsigned long long*>(alpha + 2 * batch);

  add_ridge_kernel<T><<<grid_for(batch * mm), kBlockThreads, 0, stream>>>(batch, m, a, static_cast<T>(s.ridge), p);
  ATTN_CUDA_CHECK(cudaGetLastError());
  const bool per_matrix = s.init == NewtonInit::per_matrix;
  abs_norms<T>(stream, batch, m, per_matrix ? a : p, nullptr, row_max);
  base_alpha_kernel<<<grid_for(batch), kBlockThreads, 0, stream>>>(batch, per_matrix, row_max, alpha);
  ATTN_CUDA_CHECK(cudaGetLastError());
  if (!per_matrix) {
    ATTN_CUDA_CHECK(cudaMemsetAsync(worst, 0, kHalvings * sizeof(unsigned long long), stream));
    halving_residuals_kernel<T><<<grid_for(batch * m), kBlockThreads, 0, stream>>>(batch, m, p, alpha, worst);
    ATTN_CUDA_CHECK(cudaGetLastError());
    pick_alpha_kernel<<<1, 1, 0, stream>>>(batch, worst, alpha);
    ATTN_CUDA_CHECK(cudaGetLastError());
  }
  scaled_copy_kernel<T><<<grid_for(batch * mm), kBlockThreads, 0, stream>>>(batch, m, alpha, p, v);
  ATTN_CUDA_CHECK(cudaGetLastError());

  const GemmShape sq = gemm_shape(Trans::no, Trans::no, m, m, m, batch);
  for (int it = 0; it < s.iterations; ++it) {
    cuda::gemm<T>(ctx, sq, T(1), p, v, T(0), t);  // t = P V
    diag_minus<T>(stream, batch, m, T(2), t);     // t = 2 I - P V
    cuda::gemm<T>(ctx, sq, T(1), v, t, T(0), u);  // u = V (2 I - P V)
    ATTN_CUDA_CHECK(cudaMemcpyAsync(v, u, sizeof(T) * batch * mm, cudaMemcpyDeviceToDevice, stream));
  }
}

template void newton_inverse<float>(const Context&, const NewtonInverseShape&, const float*, float*);
template void newton_inverse<double>(const Context&, const NewtonInverseShape&, const double*, double*);

}  // namespace attn::ops::cuda
