// CUDA batched GEMM (cuBLAS strided-batched). No CUDA types here, so CPU code can include it.
// Arguments are validated by the entry in ops/gemm.cpp; pointers are device pointers.
#pragma once

#include "core/context.hpp"
#include "ops/gemm.hpp"

namespace attn::ops::cuda {

template <class T>
void gemm(const Context& ctx, const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c);

// 16-bit operands and result, fp32 accumulation (cublasGemmStridedBatchedEx, tensor cores).
void gemm(const Context& ctx, const GemmShape& s, float alpha, const Half* a, const Half* b, float beta, Half* c);
void gemm(const Context& ctx, const GemmShape& s, float alpha, const BFloat16* a, const BFloat16* b, float beta,
          BFloat16* c);
// 16-bit operands, fp32 result and accumulation.
void gemm(const Context& ctx, const GemmShape& s, float alpha, const Half* a, const Half* b, float beta, float* c);
void gemm(const Context& ctx, const GemmShape& s, float alpha, const BFloat16* a, const BFloat16* b, float beta,
          float* c);

}  // namespace attn::ops::cuda
