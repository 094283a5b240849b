// Fused exact attention for fp16 and bf16 storage on tensor cores (WMMA 16x16x16, fp32
// accumulation), FlashAttention-2 loop order: one thread block of 4 warps per (head, 64-row query
// tile); each warp owns 16 query rows. Per key tile of 64 keys, staged in shared memory:
//   S = Q K^T      tensor cores; the Q fragments stay in registers for the whole block
//   online softmax lane pairs own a row (32 scores each): mask, running max and sum in registers,
//                  P = exp2(S - m) rounded to the storage type
//   O += P V       tensor cores into fp32 accumulator fragments that stay in registers. WMMA
//                  fragments are opaque, so when a row's running max moved (alpha != 1 for a row
//                  that already has mass) the warp parks O in shared memory, rescales its rows
//                  there and reloads it; once the maxima settle most tiles skip that round trip.
// Scores, P and O of a warp are private to it, so only the K/V loads need block barriers. Masks,
// layouts and key tiles come from flash_common.cuh, exactly as in the SIMT kernel. Head dims up to
// 128 (zero-padded to 64 or 128); the LSE is written in fp32.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>

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

using namespace nvcuda;

constexpr int kWarps = 4;
constexpr int kThreads = 32 * kWarps;
constexpr int kBr = 16 * kWarps;  // query rows per block
constexpr int kBc = 64;           // keys per tile
constexpr int kMaxHeadDim = 128;

template <class T>
struct Storage;
template <>
struct Storage<__half> {
  static __device__ __forceinline__ __half from(float x) { return __float2half_rn(x); }
  static __device__ __forceinline__ float to(__half x) { return __half2float(x); }
};
template <>
struct Storage<__nv_bfloat16> {
  static __device__ __forceinline__ __nv_bfloat16 from(float x) { return __float2bfloat16_rn(x); }
  static __device__ __forceinline__ float to(__nv_bfloat16 x) { return __bfloat162float(x); }
};

extern __shared__ __align__(128) unsigned char flash_tc_smem[];

// Rows [0, rows) of a [rows_max][kD] tile from global rows of pitch d into shared rows of pitch ld,
// zero past `rows` and past d; 16-byte vector loads when d == kD (rows are then 16-byte aligned).
template <class T, int kD>
__device__ __forceinline__ void load_tile(const T* src, int d, int rows, int rows_max, T* dst, int ld) {
  constexpr int kVec = 8;  // 8 x 16-bit = 16 bytes
  if (d == kD) {
    for (int e = threadIdx.x; e < rows_max * (kD / kVec); e += kThreads) {
      const int r = e / (kD / kVec), c = (e % (kD / kVec)) * kVec;
      uint4 val = make_uint4(0, 0, 0, 0);
      if (r < rows) val = *reinterpret_cast<const uint4*>(src + static_cast<long long>(r) * d + c);
      *reinterpret_cast<uint4*>(dst + r * ld + c) = val;
    }
    return;
  }
  for (int e = threadIdx.x; e < rows_max * kD; e += kThreads) {
    const int r = e / kD, c = e % kD;
    dst[r * ld + c] = (r < rows && c < d) ? src[static_cast<long long>(r) * d + c] : Storage<T>::from(0.f);
  }
}

template <class T, int kD>
__global__ void __launch_bounds__(kThreads) flash_tc_kernel(FlashParams p, float scale_log2, const T* q, const T* k,
                                                            const T* v, T* out, float* lse) {
  constexpr int kLdh = kD + 8;   // 16-bit tiles: a multiple of 8 elements (WMMA), padded against conflicts
  constexpr int kLds = kBc + 4;  // fp32 scores
  constexpr int kLdp = kBc + 8;  // 16-bit probabilities
  constexpr int kLdo = kD + 4;   // fp32 output accumulator
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();

  const QueryTile tile = query_tile(p, blockIdx.x, kBr);
  if (tile.r0 >= tile.r1) return;
  const long long b = tile.b, r0 = tile.r0, r1 = tile.r1;
  const int d = p.head_dim;

  // Every section starts 32-byte aligned (all sizes are multiples of 32 bytes), as WMMA requires.
  float* sO = reinterpret_cast<float*>(flash_tc_smem);  // [kBr][kLdo]
  float* sS = sO + kBr * kLdo;                          // [kBr][kLds]
  T* sQ = reinterpret_cast<T*>(sS + kBr * kLds);        // [kBr][kLdh]
  T* sK = sQ + kBr * kLdh;                              // [kBc][kLdh]
  T* sV = sK + kBc * kLdh;                              // [kBc][kLdh]
  T* sP = sV + kBc * kLdh;                              // [kBr][kLdp]

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  load_tile<T, kD>(q + (b * p.seq_len + r0) * d, d, static_cast<int>(r1 - r0), kBr, sQ, kLdh);
  __syncthreads();

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> o_frag[kD / 16];
#pragma unroll
  for (int nb = 0; nb < kD / 16; ++nb) wmma::fill_fragment(o_frag[nb], 0.f);
  wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> q_frag[kD / 16];
#pragma unroll
  for (int kk = 0; kk < kD / 16; ++kk) wmma::load_matrix_sync(q_frag[kk], sQ + warp * 16 * kLdh + kk * 16, kLdh);

  // Lane pair (2i, 2i+1) owns row i of the warp's 16; each lane half of the row's columns.
  const int row = warp * 16 + lane / 2, half = lane % 2;
  const long long grow = r0 + row;
  long long lo_r = 0, hi_r = 0;
  if (grow < r1) row_reach(p, grow, &lo_r, &hi_r);
  float m = kNegInf, l = 0.f;
  long long lo, hi, unused;
  row_reach(p, r0, &lo, &unused);
  row_reach(p, r1 - 1, &unused, &hi);

  const T* kb = k + b * p.seq_len_k * d;
  const T* vb = v + b * p.seq_len_k * d;
  auto visit_tile = [&](long long c0, int cols) {
    __syncthreads();  // every warp is done with the previous sK, sV
    load_tile<T, kD>(kb + c0 * d, d, cols, kBc, sK, kLdh);
    load_tile<T, kD>(vb + c0 * d, d, cols, kBc, sV, kLdh);
    __syncthreads();

#pragma unroll
    for (int nb = 0; nb < kBc / 16; ++nb) {  // S = Q K^T for this warp's rows
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.f);
#pragma unroll
      for (int kk = 0; kk < kD / 16; ++kk) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> k_frag;  // K^T: K's rows are columns
        wmma::load_matrix_sync(k_frag, sK + nb * 16 * kLdh + kk * 16, kLdh);
        wmma::mma_sync(acc, q_frag[kk], k_frag, acc);
      }
      wmma::store_matrix_sync(sS + warp * 16 * kLds + nb * 16, acc, kLds, wmma::mem_row_major);
    }
    __syncwarp();

    float* srow = sS + row * kLds;
    T* prow = sP + row * kLdp;
    float mx = kNegInf;
#pragma unroll 8
    for (int j = 0; j < kBc / 2; ++j) {
      const int c = half * (kBc / 2) + j;
      const long long col = c0 + c;
      const float x = (c < cols && col >= lo_r && col < hi_r) ? srow[c] * scale_log2 : kNegInf;
      srow[c] = x;
      mx = fmaxf(mx, x);
    }
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    const float m_new = fmaxf(m, mx);
    const float m_use = m_new == kNegInf ? 0.f : m_new;  // nothing allowed yet: avoid -inf - -inf
    float sum = 0.f;
#pragma unroll 8
    for (int j = 0; j < kBc / 2; ++j) {
      const int c = half * (kBc / 2) + j;
      const float pj = exp2f(srow[c] - m_use);
      sum += pj;
      prow[c] = Storage<T>::from(pj);
    }
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    const float alpha = exp2f(m - m_use);  // 0 on the first visit (m = -inf)
    const bool moved = alpha != 1.f && l > 0.f;  // a row with no mass yet has O = 0: nothing to rescale
    l = alpha * l + sum;
    m = m_new;
    float* orow = sO + row * kLdo;
    if (__any_sync(0xffffffffu, moved)) {  // warp-uniform: park O, rescale its rows, reload
#pragma unroll
      for (int nb = 0; nb < kD / 16; ++nb)
        wmma::store_matrix_sync(sO + warp * 16 * kLdo + nb * 16, o_frag[nb], kLdo, wmma::mem_row_major);
      __syncwarp();
      for (int c = half * (kD / 2); c < (half + 1) * (kD / 2); ++c) orow[c] *= alpha;
      __syncwarp();
#pragma unroll
      for (int nb = 0; nb < kD / 16; ++nb)
        wmma::load_matrix_sync(o_frag[nb], sO + warp * 16 * kLdo + nb * 16, kLdo, wmma::mem_row_major);
    }
    __syncwarp();  // P of the whole warp is written

    wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> p_frag[kBc / 16];
#pragma unroll
    for (int kk = 0; kk < kBc / 16; ++kk) wmma::load_matrix_sync(p_frag[kk], sP + warp * 16 * kLdp + kk * 16, kLdp);
#pragma unroll
    for (int nb = 0; nb < kD / 16; ++nb) {  // O += P V for this warp's rows
#pragma unroll
      for (int kk = 0; kk < kBc / 16; ++kk) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> v_frag;
        wmma::load_matrix_sync(v_frag, sV + kk * 16 * kLdh + nb * 16, kLdh);
        wmma::mma_sync(o_frag[nb], p_frag[kk], v_frag, o_frag[nb]);
      }
    }
  };
  for_each_key_tile(p, tile, lo, hi, kBc, visit_tile);

#pragma unroll
  for (int nb = 0; nb < kD / 16; ++nb)
    wmma::store_matrix_sync(sO + warp * 16 * kLdo + nb * 16, o_frag[nb], kLdo, wmma::mem_row_major);
  __syncwarp();
  if (grow < r1) {
    const bool empty = !(l > 0.f);  // FA2: sum 0 or NaN -> output 0, LSE +inf
    const float inv = empty ? 0.f : 1.f / l;
    const float* orow = sO + row * kLdo;
    T* dst = out + (b * p.seq_len + grow) * d;
    for (int c = half * (kD / 2); c < (half + 1) * (kD / 2) && c < d; ++c) dst[c] = Storage<T>::from(orow[c] * inv);
    if (lse != nullptr && half == 0) {
      lse[b * p.seq_len + grow] = empty ? std::numeric_limits<float>::infinity()
                                        : static_cast<float>(static_cast<double>(m) * kLn2 + log(static_cast<double>(l)));
    }
  }
}

template <class T, int kD>
void launch_flash_tc(cudaStream_t stream, FlashParams p, float scale_log2, const T* q, const T* k, const T* v, T* out,
                     float* lse) {
  set_query_tiles(p, kBr);
  const long long grid = p.q_tiles * p.batch;
  ATTN_CHECK(grid <= INT_MAX, "cuda flash_attention: more query tiles than one grid dimension holds");
  const std::size_t smem = sizeof(float) * (kBr * (kD + 4) + kBr * (kBc + 4)) +
                           sizeof(T) * ((kBr + 2 * kBc) * (kD + 8) + kBr * (kBc + 8));
  auto kernel = flash_tc_kernel<T, kD>;
  ATTN_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
  kernel<<<static_cast<unsigned>(grid), kThreads, smem, stream>>>(p, scale_log2, q, k, v, out, lse);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void flash_tc(const Context& ctx, const FlashShape& s, float scale, const T* q, const T* k, const T* v, T* out,
              float* lse) {
  if (s.head_dim > kMaxHeadDim) {
    throw UnsupportedError("op 'flash_attention' has no fp16/bf16 CUDA kernel for head_dim " +
                           std::to_string(s.head_dim) + " (at most " + std::to_string(kMaxHeadDim) + ")");
  }
  const FlashParams p = flash_params(s);
  const float scale_log2 = static_cast<float>(static_cast<double>(scale) * kLog2e);
  auto stream = static_cast<cudaStream_t>(ctx.stream);
  if (s.head_dim <= 64) {
    launch_flash_tc<T, 64>(stream, p, scale_log2, q, k, v, out, lse);
  } else {
    launch_flash_tc<T, 128>(stream, p, scale_log2, q, k, v, out, lse);
  }
}

}  // namespace

// Half and BFloat16 are the bit patterns of __half and __nv_bfloat16 (core/half.hpp).
static_assert(sizeof(Half) == sizeof(__half) && sizeof(BFloat16) == sizeof(__nv_bfloat16));

void flash_attention(const Context& ctx, const FlashShape& s, float scale, const Half* q, const Half* k, const Half* v,
                     Half* out, float* lse) {
  flash_tc<__half>(ctx, s, scale, reinterpret_cast<const __half*>(q), reinterpret_cast<const __half*>(k),
                   reinterpret_cast<const __half*>(v), reinterpret_cast<__half*>(out), lse);
}

void flash_attention(const Context& ctx, const FlashShape& s, float scale, const BFloat16* q, const BFloat16* k,
                     const BFloat16* v, BFloat16* out, float* lse) {
  flash_tc<__nv_bfloat16>(ctx, s, scale, reinterpret_cast<const __nv_bfloat16*>(q),
                          reinterpret_cast<const __nv_bfloat16*>(k), reinterpret_cast<const __nv_bfloat16*>(v),
                          reinterpret_cast<__nv_bfloat16*>(out), lse);
}

}  // namespace attn::ops::cuda
