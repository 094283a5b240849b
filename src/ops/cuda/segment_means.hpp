// CUDA segment means (Nystromformer landmarks). No CUDA types here; pointers are device pointers,
// arguments validated by the entry in ops/segment_means.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/segment_means.hpp"

namespace attn::ops::cuda {

template <class T>
void segment_means(const Context& ctx, const SegmentShape& s, T scale, const T* x, T* out);

}  // namespace attn::ops::cuda
