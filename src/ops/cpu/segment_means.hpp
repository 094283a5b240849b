// CPU segment means. Arguments are validated by the entry in ops/segment_means.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/segment_means.hpp"

namespace attn::ops::cpu {

template <class T>
void segment_means(const Context& ctx, const SegmentShape& s, T scale, const T* x, T* out);

}  // namespace attn::ops::cpu
