// CPU exact kernel attention. Arguments are validated by the entry in ops/kernel_attention.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/kernel_attention.hpp"

namespace attn::ops::cpu {

template <class T>
void kernel_attention(const Context& ctx, const KernelAttentionShape& s, double scale, const double* weights,
                      const double* means, const double* stds, const T* q, const T* k, const T* v, T* out);

}  // namespace attn::ops::cpu
