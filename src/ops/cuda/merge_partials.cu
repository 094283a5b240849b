// The partial-attention merge on the GPU (formula in ops/merge_partials.hpp), one warp per output
// row: every lane computes the row's two weights (in double, both masses shifted by their common
// maximum, as on the CPU), then the lanes stride over the row's columns.
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/merge_partials.hpp"

namespace attn::ops::cuda {

namespace {

struct MergeParams {
  long long batch, rows, dim, group, groups;
  double den_floor;
};

template <class T>
__global__ void merge_partials_kernel(MergeParams p, const T* o1, const T* lse1, const T* num2, const T* den2,
                                      const T* log_scale2, const T* head_scale2, const T* sub_num, const T* sub_den,
                                      T* out) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, p.batch * p.rows) {
    const long long b = r / p.rows, g = b * p.groups + (r % p.rows) / p.group;
    const double a = static_cast<double>(lse1[r]);
    double c = log_scale2 != nullptr ? static_cast<double>(log_scale2[g]) : 0.0;
    if (head_scale2 != nullptr) c += static_cast<double>(head_scale2[b]);
    const bool has1 = isfinite(a), has2 = isfinite(c);
    const double m = has1 && has2 ? fmax(a, c) : has1 ? a : c;
    const double w1 = has1 ? exp(a - m) : 0.0, w2 = has2 ? exp(c - m) : 0.0;
    double den = den2 != nullptr ? static_cast<double>(den2[g]) : 1.0;
    if (sub_den != nullptr) den -= static_cast<double>(sub_den[r]);
    const double total = w1 + (has2 ? w2 * fmax(den, p.den_floor) : 0.0);
    const double inv = total > 0 && isfinite(total) ? 1.0 / total : 0.0;
    const T* x1 = o1 + r * p.dim;
    const T* x2 = num2 + g * p.dim;
    const T* sub = sub_num != nullptr ? sub_num + r * p.dim : nullptr;
    T* o = out + r * p.dim;
    for (long long c2 = lane; c2 < p.dim; c2 += 32) {
      const double v2 = static_cast<double>(x2[c2]) - (sub != nullptr ? static_cast<double>(sub[c2]) : 0.0);
      o[c2] = static_cast<T>(((has1 ? w1 * static_cast<double>(x1[c2]) : 0.0) + (has2 ? w2 * v2 : 0.0)) * inv);
    }
  }
}

}  // namespace

template <class T>
void merge_partials(const Context& ctx, const MergeShape& s, const T* o1, const T* lse1, const T* num2, const T* den2,
                    const T* log_scale2, const T* head_scale2, const T* sub_num, const T* sub_den, T* out) {
  if (s.rows == 0) return;
  const MergeParams p{s.batch, s.rows, s.dim, s.group, (s.rows + s.group - 1) / s.group, s.den_floor};
  merge_partials_kernel<T><<<grid_for(p.batch * p.rows * 32), kBlockThreads, 0, stream_of(ctx)>>>(
      p, o1, lse1, num2, den2, log_scale2, head_scale2, sub_num, sub_den, out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void merge_partials<float>(const Context&, const MergeShape&, const float*, const float*, const float*,
                                    const float*, const float*, const float*, const float*, const float*, float*);
template void merge_partials<double>(const Context&, const MergeShape&, const double*, const double*, const double*,
                                     const double*, const double*, const double*, const double*, const double*, double*);

}  // namespace attn::ops::cuda
