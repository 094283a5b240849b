// Column means along the sequence as a three-pass chunked scan, in double like the CPU loop (an
// fp32 prefix sum drifts over long sequences): (1) one thread per (batch, chunk, column) sums its
// chunk's rows; (2) one thread per (batch, column) turns the chunk sums into exclusive prefixes and
// the total; (3) causal: each (batch, chunk, column) thread rescans its chunk from its prefix,
// writing the running mean; bidirectional: every row gets total / N. Scratch: batch * (chunks + 1)
// * dim doubles from ctx.ws() ("mean_rows.partials").
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/reduce.hpp"

namespace attn::ops::cuda {

namespace {

constexpr long long kChunk = kMeanRowsChunk;  // rows per scan chunk

struct MeanParams {
  long long batch, seq_len, dim, chunks;
  bool causal;
};

template <class T>
__global__ void chunk_sums_kernel(MeanParams p, const T* x, double* partial) {
  const long long total = p.batch * p.chunks * p.dim;
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long c = e % p.dim, bc = e / p.dim, b = bc / p.chunks, ch = bc % p.chunks;
    const long long r1 = (ch + 1) * kChunk < p.seq_len ? (ch + 1) * kChunk : p.seq_len;
    double acc = 0;
    for (long long r = ch * kChunk; r < r1; ++r) acc += static_cast<double>(x[(b * p.seq_len + r) * p.dim + c]);
    partial[e] = acc;
  }
}

// partial [batch, chunks, dim] -> exclusive prefixes; totals [batch, dim].
__global__ void chunk_prefix_kernel(MeanParams p, double* partial, double* totals) {
  const long long total = p.batch * p.dim;
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long b = e / p.dim, c = e % p.dim;
    double run = 0;
    for (long long ch = 0; ch < p.chunks; ++ch) {
      double* slot = partial + (b * p.chunks + ch) * p.dim + c;
      const double v = *slot;
      *slot = run;
      run += v;
    }
    totals[e] = run;
  }
}

template <class T>
__global__ void write_means_kernel(MeanParams p, const T* x, const double* partial, const double* totals, T* out) {
  if (p.causal) {
    const long long total = p.batch * p.chunks * p.dim;
    for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < total;
         e += static_cast<long long>(gridDim.x) * blockDim.x) {
      const long long c = e % p.dim, bc = e / p.dim, b = bc / p.chunks, ch = bc % p.chunks;
      const long long r1 = (ch + 1) * kChunk < p.seq_len ? (ch + 1) * kChunk : p.seq_len;
      double run = partial[e];
      for (long long r = ch * kChunk; r < r1; ++r) {
        const long long at = (b * p.seq_len + r) * p.dim + c;
        run += static_cast<double>(x[at]);
        out[at] = static_cast<T>(run / static_cast<double>(r + 1));
      }
    }
    return;
  }
  const long long total = p.batch * p.seq_len * p.dim;
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long c = e % p.dim, b = e / (p.seq_len * p.dim);
    out[e] = static_cast<T>(totals[b * p.dim + c] / static_cast<double>(p.seq_len));
  }
}

template <class T>
void launch_mean_rows(cudaStream_t stream, const MeanParams& p, const T* x, double* partial, double* totals, T* out) {
  chunk_sums_kernel<T><<<grid_for(p.batch * p.chunks * p.dim), kBlockThreads, 0, stream>>>(p, x, partial);
  ATTN_CUDA_CHECK(cudaGetLastError());
  chunk_prefix_kernel<<<grid_for(p.batch * p.dim), kBlockThreads, 0, stream>>>(p, partial, totals);
  ATTN_CUDA_CHECK(cudaGetLastError());
  const long long items = p.causal ? p.batch * p.chunks * p.dim : p.batch * p.seq_len * p.dim;
  write_means_kernel<T><<<grid_for(items), kBlockThreads, 0, stream>>>(p, x, partial, totals, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

template <class T>
void mean_rows(const Context& ctx, int64_t batch, int64_t seq_len, int64_t dim, bool causal, const T* x, T* out) {
  ATTN_CHECK(ctx.workspace != nullptr, "cuda mean_rows: the context needs a workspace");
  const MeanParams p{batch, seq_len, dim, (seq_len + kChunk - 1) / kChunk, causal};
  double* partial = ctx.ws().get<double>("mean_rows.partials", batch * (p.chunks + 1) * dim);
  launch_mean_rows<T>(stream_of(ctx), p, x, partial, partial + batch * p.chunks * dim, out);
}

template void mean_rows<float>(const Context&, int64_t, int64_t, int64_t, bool, const float*, float*);
template void mean_rows<double>(const Context&, int64_t, int64_t, int64_t, bool, const double*, double*);

}  // namespace attn::ops::cuda
