// Rows are independent: OpenMP over (batch, row). The allowed columns of a row are a prefix, so the
// causal mask is a shorter exponential loop plus a zero fill.
#include "ops/cpu/softmax.hpp"

#include <algorithm>

#include "ops/cpu/vec_math.hpp"

namespace attn::ops::cpu {

namespace {
constexpr double kLog2e = 1.4426950408889634074;
}

template <class T>
void softmax_rows(const Context& ctx, const SoftmaxShape& s, T scale, T* x) {
  const int64_t total = s.batch * s.rows;
  const T scale_log2 = static_cast<T>(static_cast<double>(scale) * kLog2e);
#pragma omp parallel for num_threads(std::max(1, ctx.threads)) schedule(static) if (total * s.cols > 32768)
  for (int64_t id = 0; id < total; ++id) {
    const int64_t b = id / s.rows, r = id % s.rows;
    T* row = x + b * s.stride + r * s.ld;
    const int64_t limit = s.causal ? std::clamp<int64_t>(r + s.causal_offset + 1, 0, s.cols) : s.cols;
    // The max is taken on the quantity that is exponentiated (scale * x): for a negative scale
    // that is scale times the smallest x.
    T extreme = max_of(row, limit);
    if (scale < T(0)) extreme = *std::min_element(row, row + limit);
    const T m_log2 = scale_log2 * extreme;  // max of the scaled scores, in log2 units
    const T sum = limit > 0 ? exp2_affine_sum(row, limit, scale_log2, m_log2) : T(0);
    const T inv = sum > T(0) ? T(1) / sum : T(0);
    for (int64_t c = 0; c < limit; ++c) row[c] *= inv;
    std::fill(row + limit, row + s.cols, T(0));
  }
}

template void softmax_rows<float>(const Context&, const SoftmaxShape&, float, float*);
template void softmax_rows<double>(const Context&, const SoftmaxShape&, double, double*);

}  // namespace attn::ops::cpu
