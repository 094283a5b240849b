// Mean-of-V baseline. Sums run in double so the causal prefix mean does not drift along long
// sequences in fp32.
#include "ops/cpu/reduce.hpp"

#include <algorithm>
#include <vector>

namespace attn::ops::cpu {

template <class T>
void mean_rows(const Context& ctx, int64_t batch, int64_t seq_len, int64_t dim, bool causal, const T* x, T* out) {
#pragma omp parallel for num_threads(std::max(1, ctx.threads)) schedule(static) if (batch > 1)
  for (int64_t b = 0; b < batch; ++b) {
    const T* xb = x + b * seq_len * dim;
    T* ob = out + b * seq_len * dim;
    std::vector<double> sum(static_cast<std::size_t>(dim), 0.0);
    for (int64_t i = 0; i < seq_len; ++i) {
      for (int64_t c = 0; c < dim; ++c) sum[c] += xb[i * dim + c];
      if (causal) {
        for (int64_t c = 0; c < dim; ++c) ob[i * dim + c] = static_cast<T>(sum[c] / static_cast<double>(i + 1));
      }
    }
    if (!causal) {
      for (int64_t i = 0; i < seq_len; ++i) {
        for (int64_t c = 0; c < dim; ++c) ob[i * dim + c] = static_cast<T>(sum[c] / static_cast<double>(seq_len));
      }
    }
  }
}

template void mean_rows<float>(const Context&, int64_t, int64_t, int64_t, bool, const float*, float*);
template void mean_rows<double>(const Context&, int64_t, int64_t, int64_t, bool, const double*, double*);

}  // namespace attn::ops::cpu
