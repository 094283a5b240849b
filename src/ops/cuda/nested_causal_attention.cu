// Luna's causal nested attention on the GPU: the CPU kernel's chunk recurrence
// (ops/cpu/nested_causal_attention.cpp) with every product a cuBLAS strided-batched GEMM over all
// heads at once (P broadcast with batch stride 0 when the heads share it), and four small kernels:
// elu + 1 of the pack weights, the lower triangle of a C x C block, the per-row scale and softmax
// of the logits over the l pack rows (one warp per row), and the 1/t scale of the output rows.
// A host loop walks the chunks in order (the prefix state carries from one to the next).
// Scratch from ctx.ws() per head: the two l x d / l x dv states, pack and logits (C x l), block (C x C).
#include <cuda_runtime.h>

#include <limits>

#include "ops/cuda/common.cuh"
#include "ops/cuda/gemm.hpp"
#include "ops/cuda/nested_causal_attention.hpp"

namespace attn::ops::cuda {

namespace {

template <class T>
__global__ void elu_plus_one_kernel(long long count, T* x) {
  ATTN_GRID_LOOP(e, count) {
    const T v = x[e];
    x[e] = v > T(0) ? v + T(1) : exp_t(v);
  }
}

// block[b, i, j > i] = 0 for i, j < rows (pitch ld, batch stride ld * ld).
template <class T>
__global__ void lower_triangle_kernel(long long batch, long long rows, long long ld, T* block) {
  ATTN_GRID_LOOP(e, batch * rows * rows) {
    const long long j = e % rows, i = (e / rows) % rows, b = e / (rows * rows);
    if (j > i) block[b * ld * ld + i * ld + j] = T(0);
  }
}

// Row i of every head (global token t = c0 + i + 1): x *= scale / t, then softmax over l columns.
template <class T>
__global__ void scaled_softmax_kernel(long long batch, long long rows, long long l, long long stride, long long c0,
                                      T scale, T* logits) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, batch * rows) {
    const long long b = r / rows, i = r % rows;
    T* row = logits + b * stride + i * l;
    const T f = scale / static_cast<T>(c0 + i + 1);
    T mx = -std::numeric_limits<T>::infinity();
    for (long long c = lane; c < l; c += 32) {
      row[c] *= f;
      mx = row[c] > mx ? row[c] : mx;
    }
    mx = warp_max(mx);
    T sum = T(0);
    for (long long c = lane; c < l; c += 32) {
      row[c] = exp_t(row[c] - mx);
      sum += row[c];
    }
    sum = warp_sum(sum);
    const T inv = T(1) / sum;
    for (long long c = lane; c < l; c += 32) row[c] *= inv;
  }
}

template <class T>
__global__ void count_scale_kernel(long long batch, long long rows, long long dv, long long stride, long long c0, T* out) {
  ATTN_GRID_LOOP(e, batch * rows * dv) {
    const long long c = e % dv, i = (e / dv) % rows, b = e / (rows * dv);
    out[b * stride + i * dv + c] *= T(1) / static_cast<T>(c0 + i + 1);
  }
}

}  // namespace

template <class T>
void nested_causal_attention(const Context& ctx, const NestedCausalShape& s, T scale, const T* p, const T* q,
                             const T* k, const T* v, T* out) {
  const long long B = s.batch, n = s.seq_len, d = s.head_dim, dv = s.value_dim, l = s.pack_len;
  const long long ch = s.chunk < n ? s.chunk : n, nd = n * d, nv = n * dv;
  const cudaStream_t stream = stream_of(ctx);
  auto buf = [&](const char* key, long long count) { return ctx.ws().get<T>(key, B * count); };
  T* state_k = buf("nested_causal_attention.state_k", l * d);
  T* state_v = buf("nested_causal_attention.state_v", l * dv);
  T* pack = buf("nested_causal_attention.pack", ch * l);
  T* logits = buf("nested_causal_attention.logits", ch * l);
  T* block = buf("nested_causal_attention.block", ch * ch);
  for (long long c0 = 0; c0 < n; c0 += ch) {
    const long long rows = ch < n - c0 ? ch : n - c0;
    const bool have_state = c0 > 0;
    const T* qc = q + c0 * d;
    const T* kc = k + c0 * d;
    const T* vc = v + c0 * dv;
    T* o = out + c0 * dv;
    const T keep = have_state ? T(1) : T(0);
    cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::yes, rows, l, d, B, d, nd, d, s.pack_stride, l, ch * l),
                  scale, kc, p, T(0), pack);
    elu_plus_one_kernel<T><<<grid_for(B * ch * l), kBlockThreads, 0, stream>>>(B * ch * l, pack);
    ATTN_CUDA_CHECK(cudaGetLastError());
    cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::yes, rows, rows, d, B, d, nd, d, nd, ch, ch * ch),
                  T(1), qc, kc, T(0), block);
    lower_triangle_kernel<T><<<grid_for(B * rows * rows), kBlockThreads, 0, stream>>>(B, rows, ch, block);
    ATTN_CUDA_CHECK(cudaGetLastError());
    if (have_state)
      cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::yes, rows, l, d, B, d, nd, d, l * d, l, ch * l),
                    T(1), qc, state_k, T(0), logits);
    cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::no, rows, l, rows, B, ch, ch * ch, l, ch * l, l, ch * l),
                  T(1), block, pack, keep, logits);
    scaled_softmax_kernel<T><<<grid_for(B * rows * 32), kBlockThreads, 0, stream>>>(B, rows, l, ch * l, c0, scale,
                                                                                   logits);
    ATTN_CUDA_CHECK(cudaGetLastError());
    cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::yes, rows, rows, l, B, l, ch * l, l, ch * l, ch, ch * ch),
                  T(1), logits, pack, T(0), block);
    lower_triangle_kernel<T><<<grid_for(B * rows * rows), kBlockThreads, 0, stream>>>(B, rows, ch, block);
    ATTN_CUDA_CHECK(cudaGetLastError());
    cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::no, rows, dv, rows, B, ch, ch * ch, dv, nv, dv, nv),
                  T(1), block, vc, T(0), o);
    if (have_state)
      cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::no, Trans::no, rows, dv, l, B, l, ch * l, dv, l * dv, dv, nv),
                    T(1), logits, state_v, T(1), o);
    count_scale_kernel<T><<<grid_for(B * rows * dv), kBlockThreads, 0, stream>>>(B, rows, dv, nv, c0, o);
    ATTN_CUDA_CHECK(cudaGetLastError());
    cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::yes, Trans::no, l, d, rows, B, l, ch * l, d, nd, d, l * d),
                  T(1), pack, kc, keep, state_k);
    cuda::gemm<T>(ctx, gemm_shape_pitched(Trans::yes, Trans::no, l, dv, rows, B, l, ch * l, dv, nv, dv, l * dv),
                  T(1), pack, vc, keep, state_v);
  }
}

template void nested_causal_attention<float>(const Context&, const NestedCausalShape&, float, const float*,
                                             const float*, const float*, const float*, float*);
template void nested_causal_attention<double>(const Context&, const NestedCausalShape&, double, const double*,
                                              const double*, const double*, const double*, double*);

}  // namespace attn::ops::cuda
