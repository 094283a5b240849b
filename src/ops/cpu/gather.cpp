// CPU row gathers and scatters: one memcpy-sized loop per row; indices are range-checked (a bad
// index is a broken invariant of the calling method, not a case error).
#include "ops/cpu/gather.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace attn::ops::cpu {

template <class T>
void gather_rows(const Context& ctx, const GatherShape& s, const int64_t* idx, const T* x, T alpha, T beta, T* out) {
  const int64_t total = s.batch * s.count;
#pragma omp parallel for num_threads(total * s.dim > 32768 ? std::max(1, ctx.threads) : 1) schedule(static)
  for (int64_t r = 0; r < total; ++r) {
    const int64_t b = r / s.count, i = r % s.count;
    const int64_t j = idx[(s.shared_index ? 0 : b * s.count) + i];
    ATTN_CHECK(j >= 0 && j < s.src_rows, "gather_rows: index out of range");
    const T* src = x + (b * s.src_rows + j) * s.dim;
    T* dst = out + r * s.dim;
    for (int64_t c = 0; c < s.dim; ++c) dst[c] = alpha * src[c] + (beta == T(0) ? T(0) : beta * dst[c]);
  }
}

template <class T>
void scatter_rows(const Context&, const GatherShape& s, const int64_t* idx, const T* x, T* out) {
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t i = 0; i < s.count; ++i) {
      const int64_t j = idx[(s.shared_index ? 0 : b * s.count) + i];
      ATTN_CHECK(j >= 0 && j < s.src_rows, "scatter_rows: index out of range");
      std::copy(x + (b * s.count + i) * s.dim, x + (b * s.count + i + 1) * s.dim, out + (b * s.src_rows + j) * s.dim);
    }
}

template void gather_rows<float>(const Context&, const GatherShape&, const int64_t*, const float*, float, float, float*);
template void gather_rows<double>(const Context&, const GatherShape&, const int64_t*, const double*, double, double,
                                  double*);
template void scatter_rows<float>(const Context&, const GatherShape&, const int64_t*, const float*, float*);
template void scatter_rows<double>(const Context&, const GatherShape&, const int64_t*, const double*, double*);

}  // namespace attn::ops::cpu
