// Windowed pooling on the GPU: one thread per output element (batch, pooled row, column); adjacent
// threads take adjacent columns, so every input row read is coalesced. Each thread walks its
// window (O(stride) or O(sigma) rows) with the CPU's bounds and weights, in double.
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/window_pool.hpp"

namespace attn::ops::cuda {

namespace {

struct PoolParams {
  long long batch, seq_len, dim, stride, pooled;
  bool gaussian;
  double sigma;
};

template <class T>
__global__ void window_pool_kernel(PoolParams p, const T* x, T* out) {
  ATTN_GRID_LOOP(e, p.batch * p.pooled * p.dim) {
    const long long c = e % p.dim, r = e / p.dim, b = r / p.pooled, j = r % p.pooled;
    const double centre = static_cast<double>(j * p.stride) + static_cast<double>(p.stride - 1) / 2;
    long long lo = j * p.stride, hi = (j + 1) * p.stride < p.seq_len ? (j + 1) * p.stride : p.seq_len;
    if (p.gaussian) {
      const double reach = 2 * p.sigma;
      const long long a = static_cast<long long>(ceil(centre - reach));
      const long long z = static_cast<long long>(floor(centre + reach)) + 1;
      lo = a > 0 ? a : 0;
      hi = z < p.seq_len ? z : p.seq_len;
    }
    double acc = 0, total = 0;
    for (long long i = lo; i < hi; ++i) {
      double w = 1;
      if (p.gaussian && p.sigma > 0) {
        const double t = (static_cast<double>(i) - centre) / p.sigma;
        w = exp(-0.5 * t * t);
      }
      total += w;
      acc += w * static_cast<double>(x[(b * p.seq_len + i) * p.dim + c]);
    }
    out[e] = total > 0 ? static_cast<T>(acc / total) : T(0);
  }
}

}  // namespace

template <class T>
void window_pool(const Context& ctx, const WindowPoolShape& s, const T* x, T* out) {
  const PoolParams p{s.batch, s.seq_len, s.dim, s.stride, pooled_rows(s), s.window == PoolWindow::gaussian, s.sigma};
  window_pool_kernel<T><<<grid_for(p.batch * p.pooled * p.dim), kBlockThreads, 0, stream_of(ctx)>>>(p, x, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void window_pool<float>(const Context&, const WindowPoolShape&, const float*, float*);
template void window_pool<double>(const Context&, const WindowPoolShape&, const double*, double*);

}  // namespace attn::ops::cuda
