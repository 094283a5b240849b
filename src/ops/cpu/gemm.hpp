// CPU batched GEMM (CBLAS). Arguments are validated by the entry in ops/gemm.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/gemm.hpp"

namespace attn::ops::cpu {

template <class T>
void gemm(const Context& ctx, const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c);

}  // namespace attn::ops::cpu
