// YOSO's collision-kernel attention on the GPU, tiled like the CPU kernel but with all heads in each
// cuBLAS call: for every (query tile, key tile) of at most 512 x 512, S = Q_t K_j^T (batched GEMM),
// then S <- (1 - acos(clamp(S / (|q| |k|))) / pi)^bits elementwise (double, as on the CPU), then
// out_t += S V_j. The inverse row norms of Q and K are computed once per call (one warp per row).
// Scratch from the workspace: the tile (batch x 512 x 512) and the 2 x batch x N inverse norms;
// never an N x N buffer.
#include <cuda_runtime.h>

#include "ops/cuda/angular_kernel.hpp"
#include "ops/cuda/common.cuh"
#include "ops/cuda/gemm.hpp"

namespace attn::ops::cuda {

namespace {

constexpr long long kTile = kAngularTile;
constexpr double kPi = 3.14159265358979323846;

template <class T>
__global__ void inverse_norms_kernel(long long rows, long long d, const T* x, T* inv) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, rows) {
    double sq = 0;
    for (long long c = lane; c < d; c += 32) sq += static_cast<double>(x[r * d + c]) * static_cast<double>(x[r * d + c]);
    sq = warp_sum(sq);
    if (lane == 0) inv[r] = sq > 0 ? static_cast<T>(1.0 / sqrt(sq)) : T(0);
  }
}

// tile[b, r, c] (pitch kTile, batch stride kTile^2) for rows < rows, cols < cols.
template <class T>
__global__ void collision_kernel(long long batch, long long n, long long r0, long long rows, long long c0,
                                 long long cols, double bits, const T* inv_q, const T* inv_k, T* tile) {
  ATTN_GRID_LOOP(e, batch * rows * cols) {
    const long long c = e % cols, r = (e / cols) % rows, b = e / (rows * cols);
    T* at = tile + b * kTile * kTile + r * kTile + c;
    double cosine = static_cast<double>(*at) * static_cast<double>(inv_q[b * n + r0 + r]) *
                    static_cast<double>(inv_k[b * n + c0 + c]);
    cosine = cosine < -1.0 ? -1.0 : (cosine > 1.0 ? 1.0 : cosine);
    *at = static_cast<T>(pow(1.0 - acos(cosine) / kPi, bits));
  }
}

}  // namespace

template <class T>
void angular_kernel_attention(const Context& ctx, const AngularKernelShape& s, const T* q, const T* k, const T* v,
                              T* out) {
  const long long B = s.batch, n = s.seq_len, d = s.head_dim, dv = s.value_dim;
  const cudaStream_t stream = stream_of(ctx);
  T* inv_q = ctx.ws().get<T>("angular_kernel.inv_norms", 2 * B * n);
  T* inv_k = inv_q + B * n;
  T* tile = ctx.ws().get<T>("angular_kernel.tile", B * kTile * kTile);
  inverse_norms_kernel<T><<<grid_for(B * n * 32), kBlockThreads, 0, stream>>>(B * n, d, q, inv_q);
  ATTN_CUDA_CHECK(cudaGetLastError());
  inverse_norms_kernel<T><<<grid_for(B * n * 32), kBlockThreads, 0, stream>>>(B * n, d, k, inv_k);
  ATTN_CUDA_CHECK(cudaGetLastError());
  for (long long r0 = 0; r0 < n; r0 += kTile) {
    const long long rows = n - r0 < kTile ? n - r0 : kTile;
    for (long long c0 = 0; c0 < n; c0 += kTile) {
      const long long cols = n - c0 < kTile ? n - c0 : kTile;
      const auto scores = gemm_shape_pitched(Trans::no, Trans::yes, rows, cols, d, B, d, n * d, d, n * d, kTile,
                                             kTile * kTile);
      cuda::gemm<T>(ctx, scores, T(1), q + r0 * d, k + c0 * d, T(0), tile);
      collision_kernel<T><<<grid_for(B * rows * cols), kBlockThreads, 0, stream>>>(
          B, n, r0, rows, c0, cols, static_cast<double>(s.bits), inv_q, inv_k, tile);
      ATTN_CUDA_CHECK(cudaGetLastError());
      const auto values = gemm_shape_pitched(Trans::no, Trans::no, rows, dv, cols, B, kTile, kTile * kTile, dv,
                                             n * dv, dv, n * dv);
      cuda::gemm<T>(ctx, values, T(1), tile, v + c0 * dv, c0 == 0 ? T(0) : T(1), out + r0 * dv);
    }
  }
}

template void angular_kernel_attention<float>(const Context&, const AngularKernelShape&, const float*, const float*,
                                              const float*, float*);
template void angular_kernel_attention<double>(const Context&, const AngularKernelShape&, const double*,
                                               const double*, const double*, double*);

}  // namespace attn::ops::cuda
