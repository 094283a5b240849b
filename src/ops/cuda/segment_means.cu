// One thread per output element (batch, segment, column): it sums its segment's rows in order, in
// T, as the CPU loop does, so the two agree to rounding of the final scale. Adjacent threads take
// adjacent columns, so every row read is coalesced.
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/segment_means.hpp"

namespace attn::ops::cuda {

namespace {

struct SegmentParams {
  long long batch, seq_len, dim, segments;
};

// Device copy of segment_bounds (ops/segment_means.cpp): the first (l+1)*segments - N segments
// have l = N / segments rows, the rest l + 1.
__device__ __forceinline__ void bounds(const SegmentParams& p, long long i, long long* start, long long* end) {
  const long long l = p.seq_len / p.segments;
  const long long short_count = (l + 1) * p.segments - p.seq_len;
  if (i < short_count) {
    *start = i * l;
    *end = *start + l;
  } else {
    *start = short_count * l + (i - short_count) * (l + 1);
    *end = *start + l + 1;
  }
}

template <class T>
__global__ void segment_means_kernel(SegmentParams p, T scale, const T* x, T* out) {
  const long long total = p.batch * p.segments * p.dim;
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long c = e % p.dim, id = e / p.dim;
    const long long b = id / p.segments, i = id % p.segments;
    long long start = 0, end = 0;
    bounds(p, i, &start, &end);
    T acc = T(0);
    for (long long r = start; r < end; ++r) acc += x[(b * p.seq_len + r) * p.dim + c];
    out[e] = acc * (scale / static_cast<T>(end - start));
  }
}

template <class T>
void launch_segment_means(cudaStream_t stream, const SegmentParams& p, T scale, const T* x, T* out) {
  segment_means_kernel<T><<<grid_for(p.batch * p.segments * p.dim), kBlockThreads, 0, stream>>>(p, scale, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

template <class T>
void segment_means(const Context& ctx, const SegmentShape& s, T scale, const T* x, T* out) {
  launch_segment_means<T>(stream_of(ctx), SegmentParams{s.batch, s.seq_len, s.dim, s.segments}, scale, x, out);
}

template void segment_means<float>(const Context&, const SegmentShape&, float, const float*, float*);
template void segment_means<double>(const Context&, const SegmentShape&, double, const double*, double*);

}  // namespace attn::ops::cuda
