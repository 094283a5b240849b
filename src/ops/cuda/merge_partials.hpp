// CUDA merge of two partial attentions by their log masses. No CUDA types here; pointers are device
// pointers, arguments validated by the entry in ops/merge_partials.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/merge_partials.hpp"

namespace attn::ops::cuda {

template <class T>
void merge_partials(const Context& ctx, const MergeShape& s, const T* o1, const T* lse1, const T* num2, const T* den2,
                    const T* log_scale2, const T* head_scale2, const T* sub_num, const T* sub_den, T* out);

}  // namespace attn::ops::cuda
