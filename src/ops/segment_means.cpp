// Segment bounds (the T2T-ViT rule of the official Nystromformer code) and the validated entry.
#include "ops/segment_means.hpp"

#include "ops/cpu/segment_means.hpp"
#include "ops/cuda/segment_means.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

void segment_bounds(int64_t seq_len, int64_t segments, int64_t i, int64_t* start, int64_t* end) {
  ATTN_CHECK(segments >= 1 && segments <= seq_len, "segment_bounds: need 1 <= segments <= seq_len");
  ATTN_CHECK(i >= 0 && i < segments, "segment_bounds: segment index out of range");
  const int64_t l = seq_len / segments;
  // The first `short_count` segments have l rows, the rest l + 1 (all l when segments divides N).
  const int64_t short_count = (l + 1) * segments - seq_len;
  if (i < short_count) {
    *start = i * l;
    *end = *start + l;
  } else {
    *start = short_count * l + (i - short_count) * (l + 1);
    *end = *start + l + 1;
  }
}

template <class T>
void segment_means(const Context& ctx, const SegmentShape& s, T scale, const T* x, T* out) {
  ATTN_CHECK(s.batch > 0 && s.seq_len > 0 && s.dim > 0, "segment_means: sizes must be positive");
  ATTN_CHECK(s.segments >= 1 && s.segments <= s.seq_len, "segment_means: need 1 <= segments <= seq_len");
  ATTN_CHECK(x != nullptr && out != nullptr, "segment_means: null operand");
  ATTN_DISPATCH(ctx, "segment_means", cpu::segment_means(ctx, s, scale, x, out),
                cuda::segment_means(ctx, s, scale, x, out));
}

template void segment_means<float>(const Context&, const SegmentShape&, float, const float*, float*);
template void segment_means<double>(const Context&, const SegmentShape&, double, const double*, double*);

}  // namespace attn::ops
