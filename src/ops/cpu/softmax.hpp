// CPU row softmax. Arguments are validated by the entry in ops/softmax.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/softmax.hpp"

namespace attn::ops::cpu {

template <class T>
void softmax_rows(const Context& ctx, const SoftmaxShape& s, T scale, T* x);

}  // namespace attn::ops::cpu
