// CUDA batched GEMM (cuBLAS strided-batched). No CUDA types here, so CPU code can include it.
// Arguments are validated by the entry in ops/gemm.cpp; pointers are device pointers.
#pragma once

#include "core/context.hpp"
#include "ops/gemm.hpp"

namespace attn::ops::cuda {

template <class T>
void gemm(const Context& ctx, const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c);

}  // namespace attn::ops::cuda
