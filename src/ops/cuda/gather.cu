// Row gathers and scatters on the GPU: one thread per element, adjacent threads on adjacent columns
// of one row, so reads and writes are coalesced. A kernel cannot throw: an out-of-range index (a
// broken invariant of the calling method, checked by ATTN_CHECK on the CPU) makes gather_rows write
// NaN into that row, which the runner's non-finite check turns into a failed case, and makes
// scatter_rows skip the write. Duplicate scatter indices race; the callers' duplicate rows are
// equal (Skeinformer's pilot reuse), so any winner gives the CPU's result.
#include <cuda_runtime.h>

#include <limits>

#include "ops/cuda/common.cuh"
#include "ops/cuda/gather.hpp"

namespace attn::ops::cuda {

namespace {

struct GatherParams {
  long long batch, src_rows, count, dim;
  bool shared_index;
  __device__ long long index(const int64_t* idx, long long b, long long i) const {
    return idx[(shared_index ? 0 : b * count) + i];
  }
};

template <class T>
__global__ void gather_rows_kernel(GatherParams p, const int64_t* idx, const T* x, T alpha, T beta, T* out) {
  ATTN_GRID_LOOP(e, p.batch * p.count * p.dim) {
    const long long c = e % p.dim, r = e / p.dim, b = r / p.count, i = r % p.count;
    const long long j = p.index(idx, b, i);
    if (j < 0 || j >= p.src_rows) {
      out[e] = std::numeric_limits<T>::quiet_NaN();
      continue;
    }
    const T src = x[(b * p.src_rows + j) * p.dim + c];
    out[e] = alpha * src + (beta == T(0) ? T(0) : beta * out[e]);
  }
}

template <class T>
__global__ void scatter_rows_kernel(GatherParams p, const int64_t* idx, const T* x, T* out) {
  ATTN_GRID_LOOP(e, p.batch * p.count * p.dim) {
    const long long c = e % p.dim, r = e / p.dim, b = r / p.count, i = r % p.count;
    const long long j = p.index(idx, b, i);
    if (j >= 0 && j < p.src_rows) out[(b * p.src_rows + j) * p.dim + c] = x[e];
  }
}

GatherParams params_of(const GatherShape& s) { return {s.batch, s.src_rows, s.count, s.dim, s.shared_index}; }

}  // namespace

template <class T>
void gather_rows(const Context& ctx, const GatherShape& s, const int64_t* idx, const T* x, T alpha, T beta, T* out) {
  const GatherParams p = params_of(s);
  gather_rows_kernel<T><<<grid_for(p.batch * p.count * p.dim), kBlockThreads, 0, stream_of(ctx)>>>(p, idx, x, alpha,
                                                                                                  beta, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void scatter_rows(const Context& ctx, const GatherShape& s, const int64_t* idx, const T* x, T* out) {
  const GatherParams p = params_of(s);
  scatter_rows_kernel<T><<<grid_for(p.batch * p.count * p.dim), kBlockThreads, 0, stream_of(ctx)>>>(p, idx, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void gather_rows<float>(const Context&, const GatherShape&, const int64_t*, const float*, float, float, float*);
template void gather_rows<double>(const Context&, const GatherShape&, const int64_t*, const double*, double, double,
                                  double*);
template void scatter_rows<float>(const Context&, const GatherShape&, const int64_t*, const float*, float*);
template void scatter_rows<double>(const Context&, const GatherShape&, const int64_t*, const double*, double*);

}  // namespace attn::ops::cuda
