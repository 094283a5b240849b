// LARA's MIS weights on the GPU, the CPU's formulas (ops/mis_weights.hpp) in two kernels:
//   1. per sample row (b, p), one warp: lse over the C entries of Lmu[p, :] (+ log S), BH_p and
//      logprop_p in double, into the workspace ("mis_weights.proposal", 2 x batch x P doubles);
//   2. per tile of 32 queries of a batch, one block: the opt mean of aux over the C proposals (the
//      block's warps split c), then L[q, p] for every sample p (warp w takes p = w, w + 8, ...; lane
//      = query, so the [P, N] reads of Lq and aux are coalesced) written in place into out[b, q, :],
//      then each query's softmax over its contiguous row of P (a warp per query).
// The CPU sums in another order (sequential loops, its vectorized exponential), so results agree to
// rounding (normalized MSE ~1e-14 in fp32), not bit for bit.
#include <cuda_runtime.h>

#include <cmath>

#include "ops/cuda/common.cuh"
#include "ops/cuda/mis_weights.hpp"

namespace attn::ops::cuda {

namespace {

constexpr int kTile = 32;  // queries per block: one per lane

struct MisParams {
  long long batch, proposals, samples, queries;
  int kind;  // MisKind as an int
  double alpha_coeff;
  bool aux_query_major;
};

constexpr int kOpt = static_cast<int>(MisKind::opt), kBiased = static_cast<int>(MisKind::biased);

template <class T>
__global__ void proposal_kernel(MisParams m, double log_s, const T* lmu, double* bh, double* logprop) {
  const int lane = threadIdx.x % 32;
  const long long p_n = m.samples * m.proposals, c_n = m.proposals;
  ATTN_WARP_LOOP(r, m.batch * p_n) {
    const T* row = lmu + r * c_n;
    double mx = -HUGE_VAL;
    for (long long e = lane; e < c_n; e += 32) {
      const double v = static_cast<double>(row[e]);
      mx = mx < v ? v : mx;
    }
    mx = warp_max(mx);
    double acc = 0;
    for (long long e = lane; e < c_n; e += 32) acc += exp(static_cast<double>(row[e]) - mx);
    acc = warp_sum(acc);
    if (lane == 0) {
      const double lse = mx + log(acc) + log_s;
      const double diag = static_cast<double>(row[(r % p_n) % c_n]);
      bh[r] = exp(diag - lse);
      logprop[r] = m.kind == kOpt ? diag : lse;
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kBlockThreads)
    weights_kernel(MisParams m, const T* lq, const T* lse_k, const T* aux, const double* bh, const double* logprop,
                   T* out) {
  __shared__ double partial[kWarpsPerBlock][kTile];
  __shared__ double mean_aux[kTile];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const long long c_n = m.proposals, p_n = m.samples * m.proposals, n = m.queries;
  const long long tiles = (n + kTile - 1) / kTile;
  for (long long t = blockIdx.x; t < m.batch * tiles; t += gridDim.x) {  // the same t for the whole block
    const long long b = t / tiles, q0 = (t % tiles) * kTile;
    const int len = static_cast<int>(n - q0 < kTile ? n - q0 : kTile);
    const long long q = q0 + lane;
    const bool live = lane < len;
    const T* auxb = aux ? aux + b * c_n * n : nullptr;
    // Element (c, q) of the batch's aux block in either layout.
    auto aux_at = [&](long long c) {
      return static_cast<double>(auxb[m.aux_query_major ? q * c_n + c : c * n + q]);
    };
    if (m.kind == kOpt) {
      double s = 0;
      if (live)
        for (long long c = warp; c < c_n; c += kWarpsPerBlock) s += aux_at(c);
      partial[warp][lane] = s;
      __syncthreads();
      if (warp == 0) {
        double all = 0;
        for (int w = 0; w < kWarpsPerBlock; ++w) all += partial[w][lane];
        mean_aux[lane] = all / static_cast<double>(c_n);
      }
      __syncthreads();
    }
    T* ob = out + b * n * p_n;
    if (live) {
      const double mean = m.kind == kOpt ? mean_aux[lane] : 0.0;
      for (long long p = warp; p < p_n; p += kWarpsPerBlock) {
        const long long c = p % c_n, bp = b * p_n + p;
        const double base = static_cast<double>(lse_k[bp]) - logprop[bp];
        double log_alpha = 0;
        if (m.kind == kOpt) {
          const double alpha = bh[bp] + m.alpha_coeff * (aux_at(c) - mean);
          log_alpha = log(alpha < 1e-8 ? 1e-8 : alpha);  // std::max(alpha, 1e-8)
        } else if (m.kind == kBiased) {
          log_alpha = aux_at(c);
        }
        ob[q * p_n + p] = static_cast<T>(log_alpha + static_cast<double>(lq[bp * n + q]) + base);
      }
    }
    __syncthreads();  // the tile's L rows are complete (global writes are visible within the block)
    for (int i = warp; i < len; i += kWarpsPerBlock) {
      T* row = ob + (q0 + i) * p_n;
      T mx = -static_cast<T>(HUGE_VAL);
      for (long long p = lane; p < p_n; p += 32) mx = mx < row[p] ? row[p] : mx;
      mx = warp_max(mx);
      double sum = 0;
      for (long long p = lane; p < p_n; p += 32) {
        const T e = exp_t(row[p] - mx);
        row[p] = e;
        sum += static_cast<double>(e);
      }
      const T inv = static_cast<T>(1.0 / warp_sum(sum));
      for (long long p = lane; p < p_n; p += 32) row[p] *= inv;
    }
    __syncthreads();  // `partial` and `mean_aux` are free for the next tile
  }
}

}  // namespace

template <class T>
void mis_weights(const Context& ctx, const MisShape& s, const T* lq, const T* lse_k, const T* lmu, const T* aux,
                 T* out) {
  const MisParams m{s.batch, s.proposals, s.samples, s.queries, static_cast<int>(s.kind), s.alpha_coeff,
                    s.aux_query_major};
  const long long rows = s.batch * s.samples * s.proposals;
  double* bh = ctx.ws().get<double>("mis_weights.proposal", 2 * rows);
  double* logprop = bh + rows;
  // Repeating the C proposals S times adds log S to the log-sum-exp over proposals (the code's mu.repeat).
  const double log_s = std::log(static_cast<double>(s.samples));
  proposal_kernel<T><<<grid_for(rows * 32), kBlockThreads, 0, stream_of(ctx)>>>(m, log_s, lmu, bh, logprop);
  ATTN_CUDA_CHECK(cudaGetLastError());
  const long long tiles = s.batch * ((s.queries + kTile - 1) / kTile);
  weights_kernel<T><<<grid_for(tiles, 1), kBlockThreads, 0, stream_of(ctx)>>>(m, lq, lse_k, aux, bh, logprop, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void mis_weights<float>(const Context&, const MisShape&, const float*, const float*, const float*,
                                 const float*, float*);
template void mis_weights<double>(const Context&, const MisShape&, const double*, const double*, const double*,
                                  const double*, double*);

}  // namespace attn::ops::cuda
