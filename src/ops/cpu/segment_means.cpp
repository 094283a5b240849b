// One (batch, segment) pair per iteration; rows of a segment are summed in fp64 for T = double
// and in T otherwise (segments are short: N / segments rows).
#include "ops/cpu/segment_means.hpp"

#include <algorithm>

namespace attn::ops::cpu {

template <class T>
void segment_means(const Context& ctx, const SegmentShape& s, T scale, const T* x, T* out) {
  const int64_t total = s.batch * s.segments;
#pragma omp parallel for num_threads(std::max(1, ctx.threads)) schedule(static) if (s.batch * s.seq_len * s.dim > 65536)
  for (int64_t id = 0; id < total; ++id) {
    const int64_t b = id / s.segments, i = id % s.segments;
    int64_t start = 0, end = 0;
    segment_bounds(s.seq_len, s.segments, i, &start, &end);
    T* o = out + id * s.dim;
    std::fill(o, o + s.dim, T(0));
    for (int64_t r = start; r < end; ++r) {
      const T* row = x + (b * s.seq_len + r) * s.dim;
      for (int64_t c = 0; c < s.dim; ++c) o[c] += row[c];
    }
    const T f = scale / static_cast<T>(end - start);
    for (int64_t c = 0; c < s.dim; ++c) o[c] *= f;
  }
}

template void segment_means<float>(const Context&, const SegmentShape&, float, const float*, float*);
template void segment_means<double>(const Context&, const SegmentShape&, double, const double*, double*);

}  // namespace attn::ops::cpu
