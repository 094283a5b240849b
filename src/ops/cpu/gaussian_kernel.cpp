// out = scale^2 a b^T by one batched GEMM, then exp(-(|a_i|^2 + |b_j|^2)/2 * scale^2 + out) with the
// exponent clamped at 0 (a distance is never negative).
#include "ops/cpu/gaussian_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/cpu/gemm.hpp"

namespace attn::ops::cpu {

template <class T>
void gaussian_kernel(const Context& ctx, const GaussianKernelShape& s, T scale, const T* a, const T* b, T* out) {
  const double s2 = static_cast<double>(scale) * scale;
  cpu::gemm<T>(ctx, gemm_shape(Trans::no, Trans::yes, s.rows, s.cols, s.dim, s.batch), static_cast<T>(s2), a, b, T(0),
               out);
  auto half_sq = [&](const T* x, int64_t rows, std::vector<double>& h) {
    h.resize(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
      double acc = 0;
      for (int64_t c = 0; c < s.dim; ++c) acc += static_cast<double>(x[r * s.dim + c]) * x[r * s.dim + c];
      h[r] = 0.5 * s2 * acc;
    }
  };
  for (int64_t bt = 0; bt < s.batch; ++bt) {
    std::vector<double> ha, hb;
    half_sq(a + bt * s.rows * s.dim, s.rows, ha);
    half_sq(b + bt * s.cols * s.dim, s.cols, hb);
    T* o = out + bt * s.rows * s.cols;
#pragma omp parallel for num_threads(s.rows * s.cols > 32768 ? std::max(1, ctx.threads) : 1) schedule(static)
    for (int64_t i = 0; i < s.rows; ++i)
      for (int64_t j = 0; j < s.cols; ++j)
        o[i * s.cols + j] = static_cast<T>(std::exp(std::min(0.0, static_cast<double>(o[i * s.cols + j]) - ha[i] - hb[j])));
  }
}

template void gaussian_kernel<float>(const Context&, const GaussianKernelShape&, float, const float*, const float*,
                                     float*);
template void gaussian_kernel<double>(const Context&, const GaussianKernelShape&, double, const double*, const double*,
                                      double*);

}  // namespace attn::ops::cpu
