// Fused exact attention on the GPU (FlashAttention-2 loop order, after Dao 2023): one thread block
// owns one (head, query tile) pair, keeps the query tile in shared memory and streams the key/value
// tiles that the mask and the block layout can reach through shared memory. Scores, the running
// row max and row sum, and the output accumulator live in registers; only the probabilities of one
// key tile pass through shared memory on their way into P V. Nothing of size N x N exists.
//
// Thread layout (128 threads): 16 row groups x 8 lanes. A thread owns kRows consecutive query rows
// and, per row, kBc/8 score columns (lane + 8 j) and kD/8 output columns (lane + 8 c). The 8 lanes
// of a row group are adjacent lanes of one warp, so row max and row sum are three xor-shuffles.
// Scores are kept in log2 units (scale * log2 e folded into the scale), so each exponential is
// exp2(s - m), as in the CPU kernel. Shared rows are padded by one element against bank conflicts.
//
// Masks: every row's allowed keys are one interval [lo(i), hi(i)) (attention_mask.cpp), so a tile
// outside [lo(r0), hi(r1 - 1)) is never loaded (causal tiles above the diagonal, windows, blocks),
// and inside a visited tile the mask is two compares per score. Block layouts (CSR per query block)
// restrict the visited key ranges to the runs of adjacent active blocks, as on the CPU; a query tile
// never straddles two layout blocks (tiles restart at each layout block boundary).
//
// Element type T is the storage type (global and shared memory); Acc is the arithmetic type (fp32
// for fp32/fp16/bf16, fp64 for fp64), so half-precision storage can follow with fp32 accumulation.
#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <limits>
#include <string>

#include "core/cuda/cuda_check.cuh"
#include "core/error.hpp"
#include "ops/cuda/flash_attention.hpp"
#include "ops/cuda/flash_common.cuh"

namespace attn::ops::cuda {

namespace {

constexpr int kThreads = 128;
constexpr int kLanes = 8;                      // threads sharing one query row
constexpr int kRowGroups = kThreads / kLanes;  // 16

extern __shared__ __align__(16) unsigned char flash_smem[];

template <class Acc>
__device__ __forceinline__ Acc exp2_acc(Acc x);
template <>
__device__ __forceinline__ float exp2_acc<float>(float x) { return exp2f(x); }  // full precision, not ex2.approx
template <>
__device__ __forceinline__ double exp2_acc<double>(double x) { return exp2(x); }

template <class Acc>
__device__ __forceinline__ Acc group_max(Acc v) {
  for (int off = kLanes / 2; off > 0; off >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}
template <class Acc>
__device__ __forceinline__ Acc group_sum(Acc v) {
  for (int off = kLanes / 2; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

template <class T, class Acc, int kD, int kBr, int kBc>
__global__ void __launch_bounds__(kThreads) flash_attention_kernel(FlashParams p, Acc scale_log2, const T* q,
                                                                   const T* k, const T* v, T* out, T* lse) {
  constexpr int kRows = kBr / kRowGroups;  // query rows per thread
  constexpr int kSc = kBc / kLanes;        // score columns per thread
  constexpr int kOc = kD / kLanes;         // output columns per thread
  constexpr int kLdq = kD + 1, kLdk = kD + 1, kLdp = kBc + 1;
  constexpr Acc kNegInf = -std::numeric_limits<Acc>::infinity();

  const QueryTile tile = query_tile(p, blockIdx.x, kBr);
  const long long b = tile.b, r0 = tile.r0, r1 = tile.r1;
  if (r0 >= r1) return;  // a short last layout block leaves some tiles empty (whole block exits)

  const int d = p.head_dim;
  const T* qb_ptr = q + b * p.seq_len * d;
  const T* kb_ptr = k + b * p.seq_len_k * d;
  const T* vb_ptr = v + b * p.seq_len_k * d;

  Acc* sP = reinterpret_cast<Acc*>(flash_smem);  // [kBr][kLdp] probabilities of the current key tile
  T* sQ = reinterpret_cast<T*>(sP + kBr * kLdp);  // [kBr][kLdq]
  T* sK = sQ + kBr * kLdq;                        // [kBc][kLdk]
  T* sV = sK + kBc * kLdk;                        // [kBc][kLdk]

  const int tid = threadIdx.x, lane = tid % kLanes, group = tid / kLanes;
  const long long rows = r1 - r0;
  for (int e = tid; e < kBr * kD; e += kThreads) {  // query tile, zero-padded past d and past the rows
    const int r = e / kD, c = e % kD;
    sQ[r * kLdq + c] = (r < rows && c < d) ? qb_ptr[(r0 + r) * d + c] : T(0);
  }

  long long lo_r[kRows], hi_r[kRows];
  Acc m[kRows], l[kRows], o[kRows][kOc];
#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    const long long row = r0 + group * kRows + i;
    if (row < r1) {
      row_reach(p, row, &lo_r[i], &hi_r[i]);
    } else {
      lo_r[i] = hi_r[i] = 0;  // padding rows allow nothing
    }
    m[i] = kNegInf;
    l[i] = Acc(0);
#pragma unroll
    for (int c = 0; c < kOc; ++c) o[i][c] = Acc(0);
  }
  long long lo, hi, unused;
  row_reach(p, r0, &lo, &unused);  // lo and hi never decrease with the row
  row_reach(p, r1 - 1, &unused, &hi);

  // One key tile [c0, c0 + cols): load, scores, online softmax update, accumulate P V.
  auto visit_tile = [&](long long c0, int cols) {
    __syncthreads();  // the previous tile's sK, sV and sP are no longer read
    for (int e = tid; e < kBc * kD; e += kThreads) {
      const int r = e / kD, c = e % kD;
      const bool ok = r < cols && c < d;
      const long long g = (c0 + r) * d + c;
      sK[r * kLdk + c] = ok ? kb_ptr[g] : T(0);
      sV[r * kLdk + c] = ok ? vb_ptr[g] : T(0);
    }
    __syncthreads();

    Acc s[kRows][kSc];
#pragma unroll
    for (int i = 0; i < kRows; ++i)
#pragma unroll
      for (int j = 0; j < kSc; ++j) s[i][j] = Acc(0);
#pragma unroll 4
    for (int c = 0; c < kD; ++c) {
      Acc qv[kRows], kv[kSc];
#pragma unroll
      for (int i = 0; i < kRows; ++i) qv[i] = static_cast<Acc>(sQ[(group * kRows + i) * kLdq + c]);
#pragma unroll
      for (int j = 0; j < kSc; ++j) kv[j] = static_cast<Acc>(sK[(lane + kLanes * j) * kLdk + c]);
#pragma unroll
      for (int i = 0; i < kRows; ++i)
#pragma unroll
        for (int j = 0; j < kSc; ++j) s[i][j] += qv[i] * kv[j];
    }

#pragma unroll
    for (int i = 0; i < kRows; ++i) {
      Acc mx = kNegInf;
#pragma unroll
      for (int j = 0; j < kSc; ++j) {
        const int cj = lane + kLanes * j;
        const long long col = c0 + cj;
        const bool ok = cj < cols && col >= lo_r[i] && col < hi_r[i];
        s[i][j] = ok ? s[i][j] * scale_log2 : kNegInf;
        mx = fmax(mx, s[i][j]);
      }
      mx = group_max(mx);
      const Acc m_new = fmax(m[i], mx);
      const Acc m_use = m_new == kNegInf ? Acc(0) : m_new;  // nothing allowed yet: avoid -inf - -inf
      Acc sum = Acc(0);
#pragma unroll
      for (int j = 0; j < kSc; ++j) {
        s[i][j] = exp2_acc(s[i][j] - m_use);
        sum += s[i][j];
      }
      sum = group_sum(sum);
      const Acc alpha = exp2_acc(m[i] - m_use);  // 0 on the first visit (m = -inf)
      l[i] = alpha * l[i] + sum;
      m[i] = m_new;
#pragma unroll
      for (int c = 0; c < kOc; ++c) o[i][c] *= alpha;
#pragma unroll
      for (int j = 0; j < kSc; ++j) sP[(group * kRows + i) * kLdp + lane + kLanes * j] = s[i][j];
    }
    __syncthreads();

#pragma unroll 4
    for (int kk = 0; kk < kBc; ++kk) {
      Acc pv[kRows], vv[kOc];
#pragma unroll
      for (int i = 0; i < kRows; ++i) pv[i] = sP[(group * kRows + i) * kLdp + kk];
#pragma unroll
      for (int c = 0; c < kOc; ++c) vv[c] = static_cast<Acc>(sV[kk * kLdk + lane + kLanes * c]);
#pragma unroll
      for (int i = 0; i < kRows; ++i)
#pragma unroll
        for (int c = 0; c < kOc; ++c) o[i][c] += pv[i] * vv[c];
    }
  };

  for_each_key_tile(p, tile, lo, hi, kBc, visit_tile);

#pragma unroll
  for (int i = 0; i < kRows; ++i) {
    const long long row = r0 + group * kRows + i;
    if (row >= r1) continue;
    const bool empty = !(l[i] > Acc(0));  // FA2: sum 0 or NaN -> output 0, LSE +inf
    const Acc inv = empty ? Acc(0) : Acc(1) / l[i];
    T* orow = out + (b * p.seq_len + row) * d;
#pragma unroll
    for (int c = 0; c < kOc; ++c) {
      const int col = lane + kLanes * c;
      if (col < d) orow[col] = static_cast<T>(empty ? Acc(0) : o[i][c] * inv);
    }
    if (lse != nullptr && lane == 0) {
      lse[b * p.seq_len + row] = empty ? static_cast<T>(std::numeric_limits<Acc>::infinity())
                                       : static_cast<T>(static_cast<double>(m[i]) * kLn2 + log(static_cast<double>(l[i])));
    }
  }
}

// Tile sizes per storage type and head-dim class: shared memory stays under ~150 KiB, registers
// hold kRows x (kBc/8 + kD/8) accumulators.
template <class T, int kD>
struct FlashTileConfig {
  static constexpr int kBr = (sizeof(T) == 8 && kD > 128) ? 32 : 64;
  static constexpr int kBc = kD <= 64 && sizeof(T) <= 4 ? 64 : (sizeof(T) == 8 && kD > 128 ? 16 : 32);
};

template <class T, class Acc, int kD>
void launch_flash_attention(cudaStream_t stream, FlashParams p, Acc scale_log2, const T* q, const T* k, const T* v,
                            T* out, T* lse) {
  constexpr int kBr = FlashTileConfig<T, kD>::kBr, kBc = FlashTileConfig<T, kD>::kBc;
  set_query_tiles(p, kBr);
  const long long grid = p.q_tiles * p.batch;
  ATTN_CHECK(grid <= INT_MAX, "cuda flash_attention: more query tiles than one grid dimension holds");
  const std::size_t smem = sizeof(Acc) * kBr * (kBc + 1) + sizeof(T) * (kBr + 2 * kBc) * (kD + 1);
  auto kernel = flash_attention_kernel<T, Acc, kD, kBr, kBc>;
  ATTN_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
  kernel<<<static_cast<unsigned>(grid), kThreads, smem, stream>>>(p, scale_log2, q, k, v, out, lse);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

template <class T>
void flash_attention(const Context& ctx, const FlashShape& s, T scale, const T* q, const T* k, const T* v, T* out,
                     T* lse) {
  using Acc = T;  // fp32 -> fp32, fp64 -> fp64 (fp16/bf16 storage would map to fp32 here)
  if (s.head_dim > kFlashMaxHeadDim) {
    throw UnsupportedError("op 'flash_attention' has no CUDA kernel for head_dim " + std::to_string(s.head_dim) +
                           " (at most " + std::to_string(kFlashMaxHeadDim) + ")");
  }
  const FlashParams p = flash_params(s);
  const Acc scale_log2 = static_cast<Acc>(static_cast<double>(scale) * kLog2e);
  auto stream = static_cast<cudaStream_t>(ctx.stream);
  if (s.head_dim <= 64) {
    launch_flash_attention<T, Acc, 64>(stream, p, scale_log2, q, k, v, out, lse);
  } else if (s.head_dim <= 128) {
    launch_flash_attention<T, Acc, 128>(stream, p, scale_log2, q, k, v, out, lse);
  } else {
    launch_flash_attention<T, Acc, 256>(stream, p, scale_log2, q, k, v, out, lse);
  }
}

template void flash_attention<float>(const Context&, const FlashShape&, float, const float*, const float*,
                                     const float*, float*, float*);
template void flash_attention<double>(const Context&, const FlashShape&, double, const double*, const double*,
                                      const double*, double*, double*);

}  // namespace attn::ops::cuda
