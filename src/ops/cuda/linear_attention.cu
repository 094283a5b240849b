// Linear attention on the GPU with the CPU kernel's algebra (ops/cpu/linear_attention.cpp), every
// product a cuBLAS strided-batched GEMM over all heads at once:
//   bidirectional: S = phi_k^T V and z = phi_k^T 1 over all rows; out = phi_q S, den = phi_q z.
//   causal: chunks of C rows in order; per chunk out_c = tril(phi_q_c phi_k_c^T) V_c + phi_q_c S and
//           den_c = rowsum(tril(...)) + phi_q_c z, then S += phi_k_c^T V_c and z += phi_k_c^T 1.
// The causal scan is a host loop over chunks (about six launches per chunk, all heads batched), so
// memory stays the m x dv state per head plus one C x C block, as on the CPU. The denominators are
// kept for the whole sequence and applied at the end by one kernel that also counts guarded rows.
// With normalize = false there is no denominator: out is the plain kernel integral and 0 is returned.
// Scratch from ctx.ws(): state [B, m, dv], z [B, m], den [B, N], block [B, C, C] (causal).
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/gemm.hpp"
#include "ops/cuda/linear_attention.hpp"

namespace attn::ops::cuda {

namespace {

// z[b, j] (+)= sum over `rows` rows of x[b, r, j]; x rows have pitch m, batches `stride` apart.
template <class T>
__global__ void column_sums_kernel(long long batch, long long rows, long long m, long long stride, bool accumulate,
                                   const T* x, T* z) {
  ATTN_GRID_LOOP(e, batch * m) {
    const long long b = e / m, j = e % m;
    T acc = accumulate ? z[e] : T(0);
    for (long long r = 0; r < rows; ++r) acc += x[b * stride + r * m + j];
    z[e] = acc;
  }
}

// Zeroes block[b, i, j > i] of a rows x rows block (pitch ld) and writes den[b, i] = sum_{j<=i}.
template <class T>
__global__ void causal_block_kernel(long long batch, long long rows, long long ld, long long block_stride,
                                    long long den_stride, T* block, T* den) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, batch * rows) {
    const long long b = r / rows, i = r % rows;
    T* row = block + b * block_stride + i * ld;
    T sum = T(0);
    for (long long j = lane; j < rows; j += 32) {
      if (j > i) {
        row[j] = T(0);
      } else {
        sum += row[j];
      }
    }
    sum = warp_sum(sum);
    if (lane == 0) den[b * den_stride + i] = sum;
  }
}

// out[r, :] /= den[r] with the JAX guard; counts rows with |den| <= eps or den <= 0.
template <class T>
__global__ void normalize_kernel(long long rows, long long dv, double eps, const T* den, T* out,
                                 unsigned long long* bad_count) {
  const int lane = threadIdx.x % 32;
  unsigned long long bad = 0;
  ATTN_WARP_LOOP(r, rows) {
    T d = den[r];
    const bool tiny = fabs(static_cast<double>(d)) <= eps;
    if (tiny || !(d > T(0))) ++bad;
    if (tiny) d += static_cast<T>(2 * eps);
    const T inv = T(1) / d;
    for (long long c = lane; c < dv; c += 32) out[r * dv + c] *= inv;
  }
  if (lane == 0 && bad > 0) atomicAdd(bad_count, bad);
}

}  // namespace

template <class T>
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const T* phi_q, const T* phi_k,
                         const T* v, T* out) {
  const long long B = s.batch, n = s.seq_len, m = s.features, dv = s.value_dim;
  const cudaStream_t stream = stream_of(ctx);
  T* state = ctx.ws().get<T>("linear_attention.state", B * m * dv);
  T* z = ctx.ws().get<T>("linear_attention.ksum", B * m);
  T* den = ctx.ws().get<T>("linear_attention.den", B * n);
  auto* counter = ctx.ws().get<unsigned long long>("linear_attention.bad", 1);
  const long long nm = n * m, nv = n * dv;

  if (!s.causal) {
    cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::yes, Trans::no, m, dv, n, B, m, nm, dv, nv, dv, m * dv),
                  T(1), phi_k, v, T(0), state);
    cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::no, n, dv, m, B, m, nm, dv, m * dv, dv, nv),
                  T(1), phi_q, state, T(0), out);
    if (s.normalize) {
      column_sums_kernel<T><<<grid_for(B * m), kBlockThreads, 0, stream>>>(B, n, m, nm, false, phi_k, z);
      ATTN_CUDA_CHECK(cudaGetLastError());
      cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::no, n, 1, m, B, m, nm, 1, m, 1, n),
                    T(1), phi_q, z, T(0), den);
    }
  } else {
    const long long ch = s.chunk;
    T* block = ctx.ws().get<T>("linear_attention.block", B * ch * ch);
    for (long long c0 = 0; c0 < n; c0 += ch) {
      const long long rows = ch < n - c0 ? ch : n - c0;
      const T* q = phi_q + c0 * m;
      const T* k = phi_k + c0 * m;
      const T* vc = v + c0 * dv;
      T* o = out + c0 * dv;
      cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::yes, rows, rows, m, B, m, nm, m, nm, ch, ch * ch),
                    T(1), q, k, T(0), block);
      causal_block_kernel<T><<<grid_for(B * rows * 32), kBlockThreads, 0, stream>>>(B, rows, ch, ch * ch, n, block,
                                                                                    den + c0);
      ATTN_CUDA_CHECK(cudaGetLastError());
      cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::no, rows, dv, rows, B, ch, ch * ch, dv, nv, dv, nv),
                    T(1), block, vc, T(0), o);
      if (c0 > 0) {  // the prefix state covers the rows before this chunk
        cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::no, rows, dv, m, B, m, nm, dv, m * dv, dv, nv),
                      T(1), q, state, T(1), o);
        if (s.normalize)
          cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::no, rows, 1, m, B, m, nm, 1, m, 1, n),
                        T(1), q, z, T(1), den + c0);
      }
      cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::yes, Trans::no, m, dv, rows, B, m, nm, dv, nv, dv, m * dv),
                    T(1), k, vc, c0 > 0 ? T(1) : T(0), state);
      if (s.normalize) {
        column_sums_kernel<T><<<grid_for(B * m), kBlockThreads, 0, stream>>>(B, rows, m, nm, c0 > 0, k, z);
        ATTN_CUDA_CHECK(cudaGetLastError());
      }
    }
  }
  if (!s.normalize) return 0;  // the kernel integral without a denominator (LinearAttentionShape)
  ATTN_CUDA_CHECK(cudaMemsetAsync(counter, 0, sizeof(*counter), stream));
  normalize_kernel<T><<<grid_for(B * n * 32), kBlockThreads, 0, stream>>>(B * n, dv, s.guard_eps, den, out, counter);
  ATTN_CUDA_CHECK(cudaGetLastError());
  return read_counter(ctx, counter);
}

template int64_t linear_attention<float>(const Context&, const LinearAttentionShape&, const float*, const float*,
                                         const float*, float*);
template int64_t linear_attention<double>(const Context&, const LinearAttentionShape&, const double*,
                                          const double*, const double*, double*);

}  // namespace attn::ops::cuda
