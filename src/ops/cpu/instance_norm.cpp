// Two passes per batch item (fp64 column sums, then the affine map), parallel over batch items.
#include "ops/cpu/instance_norm.hpp"

#include <cmath>
#include <vector>

namespace attn::ops::cpu {

template <class T>
void instance_norm(const Context& ctx, int64_t batch, int64_t rows, int64_t cols, double eps, const T* x, T* out) {
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (batch > 1 && batch * rows * cols >= 65536)
  for (int64_t b = 0; b < batch; ++b) {
    const T* xb = x + b * rows * cols;
    T* ob = out + b * rows * cols;
    std::vector<double> sum(static_cast<size_t>(cols), 0.0), sq(static_cast<size_t>(cols), 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) sum[c] += static_cast<double>(xb[r * cols + c]);
    for (int64_t c = 0; c < cols; ++c) sum[c] /= static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const double dv = static_cast<double>(xb[r * cols + c]) - sum[c];
        sq[c] += dv * dv;
      }
    for (int64_t c = 0; c < cols; ++c) sq[c] = 1.0 / std::sqrt(sq[c] / static_cast<double>(rows) + eps);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        ob[r * cols + c] = static_cast<T>((static_cast<double>(xb[r * cols + c]) - sum[c]) * sq[c]);
  }
}

template void instance_norm<float>(const Context&, int64_t, int64_t, int64_t, double, const float*, float*);
template void instance_norm<double>(const Context&, int64_t, int64_t, int64_t, double, const double*, double*);

}  // namespace attn::ops::cpu
