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
//
// fp16 / bf16 phi_q, phi_k, V and output (the autocast recipe: every product on tensor cores from
// 16-bit operands with fp32 accumulation, element-wise maths in fp32). The state S = phi_k^T V and the
// key sums z are accumulated in fp32 (across chunks too). For phi_q S the state is rounded to the type
// (a GemmEx operand), as autocast stores the einsum's result: fp16 overflows where an entry of S
// passes 65504; |S[f, c]| <= z_f max|V| and z_f <= N / sqrt(m) for Performer's shifted positive
// features, so the worst case is reached only near N ~ 65504 sqrt(m) / max|V| (bf16 has fp32's range).
// The numerator phi_q S (+ the masked chunk product) is kept in fp32 ("linear_attention.acc",
// [B, N, dv]) rather than rounded: it scales with the denominator (up to N), sqrt(m) times further
// into fp16's overflow than S, and a fused kernel would not store it either. The denominators are
// fp32 dot products of the 16-bit phi_q rows with fp32 z; the guarded division is fp32 and the output
// is rounded once to the type. Causal: the masked C x C chunk product is computed in fp32 (its row sums
// are the chunk's denominators) and rounded to the type as the operand of the product with V_c.
// 16-bit scratch: state + its 16-bit copy, z, den (fp32), acc, and (causal) block + its 16-bit copy.
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/gemm.hpp"
#include "ops/cuda/linear_attention.hpp"
#include "ops/cuda/storage.cuh"

namespace attn::ops::cuda {

namespace {

// z[b, j] (+)= sum over `rows` rows of x[b, r, j]; x rows have pitch m, batches `stride` apart.
// Stored as S, summed in A (S itself, or fp32 for the 16-bit types).
template <class S, class A>
__global__ void column_sums_kernel(long long batch, long long rows, long long m, long long stride, bool accumulate,
                                   const S* x, A* z) {
  ATTN_GRID_LOOP(e, batch * m) {
    const long long b = e / m, j = e % m;
    A acc = accumulate ? z[e] : A(0);
    for (long long r = 0; r < rows; ++r) acc += load(x[b * stride + r * m + j]);
    z[e] = acc;
  }
}

// Zeroes block[b, i, j > i] of a rows x rows block (pitch ld) and writes den[b, i] = sum_{j<=i}.
// With `rounded` (16-bit path) the masked block is written there instead, rounded to S, and `block`
// is only read.
template <class A, class S>
__global__ void causal_block_kernel(long long batch, long long rows, long long ld, long long block_stride,
                                    long long den_stride, A* block, S* rounded, A* den) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, batch * rows) {
    const long long b = r / rows, i = r % rows;
    A* row = block + b * block_stride + i * ld;
    S* out = rounded != nullptr ? rounded + b * block_stride + i * ld : nullptr;
    A sum = A(0);
    for (long long j = lane; j < rows; j += 32) {
      if (j > i) {
        if (out != nullptr) {
          put(out[j], A(0));
        } else {
          row[j] = A(0);
        }
      } else {
        sum += row[j];
        if (out != nullptr) put(out[j], row[j]);
      }
    }
    sum = warp_sum(sum);
    if (lane == 0) den[b * den_stride + i] = sum;
  }
}

// den[b, i] (+)= x[b, i, :] . z[b, :] over `rows` rows of m columns (pitch m, batches `stride`
// apart; den rows den_stride apart): the 16-bit path's phi_q z in fp32, one warp per row.
template <class S>
__global__ void row_dot_kernel(long long batch, long long rows, long long m, long long stride, long long den_stride,
                               bool accumulate, const S* x, const float* z, float* den) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, batch * rows) {
    const long long b = r / rows, i = r % rows;
    const S* row = x + b * stride + i * m;
    const float* zb = z + b * m;
    float sum = 0.0f;
    for (long long j = lane; j < m; j += 32) sum += load(row[j]) * zb[j];
    sum = warp_sum(sum);
    if (lane == 0) den[b * den_stride + i] = (accumulate ? den[b * den_stride + i] : 0.0f) + sum;
  }
}

// dst = src rounded to S (n contiguous elements).
template <class S>
__global__ void round_kernel(long long n, const float* src, S* dst) {
  ATTN_GRID_LOOP(e, n) put(dst[e], src[e]);
}

// dst[r, :] = src[r, :] / den[r] with the JAX guard, in A, stored as S (src == dst for fp32 / fp64);
// counts rows with |den| <= eps or den <= 0.
template <class S, class A>
__global__ void normalize_kernel(long long rows, long long dv, double eps, const A* den, const A* src, S* dst,
                                 unsigned long long* bad_count) {
  const int lane = threadIdx.x % 32;
  unsigned long long bad = 0;
  ATTN_WARP_LOOP(r, rows) {
    A d = den[r];
    const bool tiny = fabs(static_cast<double>(d)) <= eps;
    if (tiny || !(d > A(0))) ++bad;
    if (tiny) d += static_cast<A>(2 * eps);
    const A inv = A(1) / d;
    for (long long c = lane; c < dv; c += 32) put(dst[r * dv + c], src[r * dv + c] * inv);
  }
  if (lane == 0 && bad > 0) atomicAdd(bad_count, bad);
}

template <class S>
void round_to(cudaStream_t stream, long long n, const float* src, S* dst) {
  round_kernel<S><<<grid_for(n), kBlockThreads, 0, stream>>>(n, src, dst);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

// The 16-bit path (file comment); H is Half or BFloat16 (cuBLAS operands), S its CUDA type (kernels).
template <class H>
int64_t linear_attention_16(const Context& ctx, const LinearAttentionShape& s, const H* phi_q, const H* phi_k,
                            const H* v, H* out) {
  ATTN_CHECK(ctx.workspace != nullptr, "cuda linear_attention: the context needs a workspace");
  using S = typename DeviceStorage<H>::type;
  const long long B = s.batch, n = s.seq_len, m = s.features, dv = s.value_dim;
  const cudaStream_t stream = stream_of(ctx);
  float* state = ctx.ws().get<float>("linear_attention.state", B * m * dv);
  H* state16 = ctx.ws().get<H>("linear_attention.state16", B * m * dv);
  float* z = ctx.ws().get<float>("linear_attention.ksum", B * m);
  float* den = ctx.ws().get<float>("linear_attention.den", B * n);
  float* acc = ctx.ws().get<float>("linear_attention.acc", B * n * dv);
  auto* counter = ctx.ws().get<unsigned long long>("linear_attention.bad", 1);
  const long long nm = n * m, nv = n * dv;
  const S* q_dev = device_ptr(phi_q);
  const S* k_dev = device_ptr(phi_k);

  if (!s.causal) {
    cuda::gemm(ctx, gemm_shape_pitched(Trans::yes, Trans::no, m, dv, n, B, m, nm, dv, nv, dv, m * dv), 1.0f, phi_k, v,
               0.0f, state);
    round_to(stream, B * m * dv, state, device_ptr(state16));
    cuda::gemm(ctx, gemm_shape_pitched(Trans::no, Trans::no, n, dv, m, B, m, nm, dv, m * dv, dv, nv), 1.0f, phi_q,
               static_cast<const H*>(state16), 0.0f, acc);
    if (s.normalize) {
      column_sums_kernel<S, float><<<grid_for(B * m), kBlockThreads, 0, stream>>>(B, n, m, nm, false, k_dev, z);
      ATTN_CUDA_CHECK(cudaGetLastError());
      row_dot_kernel<S><<<grid_for(B * n * 32), kBlockThreads, 0, stream>>>(B, n, m, nm, n, false, q_dev, z, den);
      ATTN_CUDA_CHECK(cudaGetLastError());
    }
  } else {
    const long long ch = s.chunk;
    float* block = ctx.ws().get<float>("linear_attention.block", B * ch * ch);
    H* block16 = ctx.ws().get<H>("linear_attention.block16", B * ch * ch);
    for (long long c0 = 0; c0 < n; c0 += ch) {
      const long long rows = ch < n - c0 ? ch : n - c0;
      const H* q = phi_q + c0 * m;
      const H* k = phi_k + c0 * m;
      const H* vc = v + c0 * dv;
      float* o = acc + c0 * dv;
      cuda::gemm(ctx, gemm_shape_pitched(Trans::no, Trans::yes, rows, rows, m, B, m, nm, m, nm, ch, ch * ch), 1.0f, q,
                 k, 0.0f, block);
      causal_block_kernel<float, S><<<grid_for(B * rows * 32), kBlockThreads, 0, stream>>>(
          B, rows, ch, ch * ch, n, block, device_ptr(block16), den + c0);
      ATTN_CUDA_CHECK(cudaGetLastError());
      cuda::gemm(ctx, gemm_shape_pitched(Trans::no, Trans::no, rows, dv, rows, B, ch, ch * ch, dv, nv, dv, nv), 1.0f,
                 static_cast<const H*>(block16), vc, 0.0f, o);
      if (c0 > 0) {  // the prefix state (rounded after the previous chunk) covers the rows before this chunk
        cuda::gemm(ctx, gemm_shape_pitched(Trans::no, Trans::no, rows, dv, m, B, m, nm, dv, m * dv, dv, nv), 1.0f, q,
                   static_cast<const H*>(state16), 1.0f, o);
        if (s.normalize) {
          row_dot_kernel<S><<<grid_for(B * rows * 32), kBlockThreads, 0, stream>>>(B, rows, m, nm, n, true,
                                                                                     device_ptr(q), z, den + c0);
          ATTN_CUDA_CHECK(cudaGetLastError());
        }
      }
      cuda::gemm(ctx, gemm_shape_pitched(Trans::yes, Trans::no, m, dv, rows, B, m, nm, dv, nv, dv, m * dv), 1.0f, k,
                 vc, c0 > 0 ? 1.0f : 0.0f, state);
      if (c0 + rows < n) round_to(stream, B * m * dv, state, device_ptr(state16));  // the next chunk's operand
      if (s.normalize) {
        column_sums_kernel<S, float><<<grid_for(B * m), kBlockThreads, 0, stream>>>(B, rows, m, nm, c0 > 0,
                                                                                    device_ptr(k), z);
        ATTN_CUDA_CHECK(cudaGetLastError());
      }
    }
  }
  if (!s.normalize) {  // the kernel integral without a denominator, rounded once
    round_to(stream, B * n * dv, acc, device_ptr(out));
    return 0;
  }
  ATTN_CUDA_CHECK(cudaMemsetAsync(counter, 0, sizeof(*counter), stream));
  normalize_kernel<S, float><<<grid_for(B * n * 32), kBlockThreads, 0, stream>>>(B * n, dv, s.guard_eps, den, acc,
                                                                                 device_ptr(out), counter);
  ATTN_CUDA_CHECK(cudaGetLastError());
  return read_counter(ctx, counter);
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
      column_sums_kernel<T, T><<<grid_for(B * m), kBlockThreads, 0, stream>>>(B, n, m, nm, false, phi_k, z);
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
      causal_block_kernel<T, T><<<grid_for(B * rows * 32), kBlockThreads, 0, stream>>>(B, rows, ch, ch * ch, n, block,
                                                                                       nullptr, den + c0);
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
        column_sums_kernel<T, T><<<grid_for(B * m), kBlockThreads, 0, stream>>>(B, rows, m, nm, c0 > 0, k, z);
        ATTN_CUDA_CHECK(cudaGetLastError());
      }
    }
  }
  if (!s.normalize) return 0;  // the kernel integral without a denominator (LinearAttentionShape)
  ATTN_CUDA_CHECK(cudaMemsetAsync(counter, 0, sizeof(*counter), stream));
  normalize_kernel<T, T><<<grid_for(B * n * 32), kBlockThreads, 0, stream>>>(B * n, dv, s.guard_eps, den, out, out,
                                                                             counter);
  ATTN_CUDA_CHECK(cudaGetLastError());
  return read_counter(ctx, counter);
}

int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const Half* phi_q, const Half* phi_k,
                         const Half* v, Half* out) {
  return linear_attention_16(ctx, s, phi_q, phi_k, v, out);
}

int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const BFloat16* phi_q,
                         const BFloat16* phi_k, const BFloat16* v, BFloat16* out) {
  return linear_attention_16(ctx, s, phi_q, phi_k, v, out);
}

template int64_t linear_attention<float>(const Context&, const LinearAttentionShape&, const float*, const float*,
                                         const float*, float*);
template int64_t linear_attention<double>(const Context&, const LinearAttentionShape&, const double*,
                                          const double*, const double*, double*);

}  // namespace attn::ops::cuda
