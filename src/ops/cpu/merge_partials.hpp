// CPU merge of two partial attentions (validated in ops/merge_partials.cpp).
#pragma once

#include "ops/merge_partials.hpp"

namespace attn::ops::cpu {

template <class T>
void merge_partials(const Context& ctx, const MergeShape& s, const T* o1, const T* lse1, const T* num2, const T* den2,
                    const T* log_scale2, const T* head_scale2, const T* sub_num, const T* sub_den, T* out);

}  // namespace attn::ops::cpu
