// Newton-Schulz pseudo-inverse on the GPU: the CPU kernel's iteration (ops/cpu/pinv.cpp), each step
// four cuBLAS batched GEMMs over all heads and three c I - X updates. The initial scale is computed
// on the device (abs_norms per head, then one thread per head picks c), so no value crosses to the
// host. Scratch P, A, T from ctx.ws() under the CPU's keys, plus 3 * batch doubles ("pinv.norms").
#include <cuda_runtime.h>

#include <utility>

#include "ops/cuda/common.cuh"
#include "ops/cuda/gemm.hpp"
#include "ops/cuda/pinv.hpp"
#include "ops/cuda/square_matrix.cuh"

namespace attn::ops::cuda {

namespace {

// inv_c[b] = 1 / c_b (0 when c_b = 0): `original` shares the largest column sum over the batch,
// `exact` uses the head's column sum times its row sum.
__global__ void pinv_scale_kernel(long long batch, bool exact, const double* col_max, const double* row_max,
                                  double* inv_c) {
  ATTN_GRID_LOOP(b, batch) {
    double c = 0;
    if (exact) {
      c = col_max[b] * row_max[b];
    } else {
      for (long long i = 0; i < batch; ++i) c = col_max[i] > c ? col_max[i] : c;
    }
    inv_c[b] = c > 0 ? 1.0 / c : 0.0;
  }
}

// z[b] = w[b]^T * inv_c[b].
template <class T>
__global__ void scaled_transpose_kernel(long long batch, long long n, const T* w, const double* inv_c, T* z) {
  ATTN_GRID_LOOP(e, batch * n * n) {
    const long long b = e / (n * n), i = (e / n) % n, j = e % n;
    z[e] = w[b * n * n + j * n + i] * static_cast<T>(inv_c[b]);
  }
}

}  // namespace

template <class T>
void newton_schulz_pinv(const Context& ctx, const PinvShape& s, const T* w, T* z) {
  const long long n = s.size, nn = n * n, batch = s.batch;
  const cudaStream_t stream = stream_of(ctx);
  double* norms = ctx.ws().get<double>("pinv.norms", 3 * batch);
  abs_norms<T>(stream, batch, n, w, norms, norms + batch);
  pinv_scale_kernel<<<grid_for(batch), kBlockThreads, 0, stream>>>(batch, s.init == PinvInit::exact, norms,
                                                                   norms + batch, norms + 2 * batch);
  ATTN_CUDA_CHECK(cudaGetLastError());
  scaled_transpose_kernel<T><<<grid_for(batch * nn), kBlockThreads, 0, stream>>>(batch, n, w, norms + 2 * batch, z);
  ATTN_CUDA_CHECK(cudaGetLastError());
  if (s.iterations <= 0) return;

  T* p = ctx.ws().get<T>("pinv.p", batch * nn);
  T* a = ctx.ws().get<T>("pinv.a", batch * nn);
  T* t = ctx.ws().get<T>("pinv.t", batch * nn);
  const GemmShape sq = gemm_shape(Trans::no, Trans::no, n, n, n, batch);
  T* cur = z;
  for (int it = 0; it < s.iterations; ++it) {
    cuda::gemm<T>(ctx, sq, T(1), w, cur, T(0), p);  // P = W Z
    ATTN_CUDA_CHECK(cudaMemcpyAsync(a, p, sizeof(T) * batch * nn, cudaMemcpyDeviceToDevice, stream));
    diag_minus<T>(stream, batch, n, T(7), a);          // A = 7I - P
    cuda::gemm<T>(ctx, sq, T(1), p, a, T(0), t);       // T = P A
    diag_minus<T>(stream, batch, n, T(15), t);         // T = 15I - P A
    cuda::gemm<T>(ctx, sq, T(1), p, t, T(0), a);       // A = P T
    diag_minus<T>(stream, batch, n, T(13), a);         // A = 13I - P T
    cuda::gemm<T>(ctx, sq, T(0.25), cur, a, T(0), p);  // Z_next = Z A / 4, into the free P buffer
    std::swap(cur, p);
  }
  if (cur != z) ATTN_CUDA_CHECK(cudaMemcpyAsync(z, cur, sizeof(T) * batch * nn, cudaMemcpyDeviceToDevice, stream));
}

template void newton_schulz_pinv<float>(const Context&, const PinvShape&, const float*, float*);
template void newton_schulz_pinv<double>(const Context&, const PinvShape&, const double*, double*);

}  // namespace attn::ops::cuda
