// Landmarks as segment means along the sequence: out[b, i] = scale * mean of rows in segment i of
// x[b]. When `segments` divides N all segments have N/segments rows; otherwise (the T2T-ViT rule
// of the official Nystromformer code) the first (l+1)*segments - N segments have l = N/segments rows
// and the rest l+1, in order.
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct SegmentShape {
  int64_t batch = 1;
  int64_t seq_len = 0;
  int64_t dim = 0;
  int64_t segments = 0;  // 1 <= segments <= seq_len
};

// [start, end) rows of segment i.
void segment_bounds(int64_t seq_len, int64_t segments, int64_t i, int64_t* start, int64_t* end);

// x: [batch, seq_len, dim]; out: [batch, segments, dim].
template <class T>
void segment_means(const Context& ctx, const SegmentShape& s, T scale, const T* x, T* out);

}  // namespace attn::ops
