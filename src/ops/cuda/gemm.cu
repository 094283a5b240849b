// Row-major GEMM through column-major cuBLAS: a row-major matrix is its transpose in column-major,
// so C^T = op(B)^T op(A)^T is computed by passing B before A with the same transpose flags.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "core/cuda/cuda_check.cuh"
#include "core/cuda_session.hpp"
#include "core/error.hpp"
#include "ops/cuda/blas_handle.cuh"
#include "ops/cuda/gemm.hpp"

namespace attn::ops::cuda {

namespace {

cublasStatus_t strided_batched(cublasHandle_t h, const GemmShape& s, const float* alpha, const float* a,
                               const float* b, const float* beta, float* c) {
  return cublasSgemmStridedBatched(h, to_cublas(s.trans_b), to_cublas(s.trans_a), static_cast<int>(s.n),
                                   static_cast<int>(s.m), static_cast<int>(s.k), alpha, b, static_cast<int>(s.ldb),
                                   s.stride_b, a, static_cast<int>(s.lda), s.stride_a, beta, c,
                                   static_cast<int>(s.ldc), s.stride_c, static_cast<int>(s.batch));
}

cublasStatus_t strided_batched(cublasHandle_t h, const GemmShape& s, const double* alpha, const double* a,
                               const double* b, const double* beta, double* c) {
  return cublasDgemmStridedBatched(h, to_cublas(s.trans_b), to_cublas(s.trans_a), static_cast<int>(s.n),
                                   static_cast<int>(s.m), static_cast<int>(s.k), alpha, b, static_cast<int>(s.ldb),
                                   s.stride_b, a, static_cast<int>(s.lda), s.stride_a, beta, c,
                                   static_cast<int>(s.ldc), s.stride_c, static_cast<int>(s.batch));
}

// 16-bit operands (`type`) with fp32 compute, C stored as `c_type` (the operand type or CUDA_R_32F):
// cuBLAS picks tensor-core kernels for these types by default.
void strided_batched_ex(const Context& ctx, const GemmShape& s, float alpha, const void* a, const void* b, float beta,
                        void* c, cudaDataType_t type, cudaDataType_t c_type) {
  cublasHandle_t handle = bound_blas_handle(ctx, "gemm");
  ATTN_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      handle, to_cublas(s.trans_b), to_cublas(s.trans_a), static_cast<int>(s.n), static_cast<int>(s.m),
      static_cast<int>(s.k), &alpha, b, type, static_cast<int>(s.ldb), s.stride_b, a, type, static_cast<int>(s.lda),
      s.stride_a, &beta, c, c_type, static_cast<int>(s.ldc), s.stride_c, static_cast<int>(s.batch), CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT));
}

}  // namespace

template <class T>
void gemm(const Context& ctx, const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c) {
  ATTN_CUBLAS_CHECK(strided_batched(bound_blas_handle(ctx, "gemm"), s, &alpha, a, b, &beta, c));
}

void gemm(const Context& ctx, const GemmShape& s, float alpha, const Half* a, const Half* b, float beta, Half* c) {
  strided_batched_ex(ctx, s, alpha, a, b, beta, c, CUDA_R_16F, CUDA_R_16F);
}

void gemm(const Context& ctx, const GemmShape& s, float alpha, const BFloat16* a, const BFloat16* b, float beta,
          BFloat16* c) {
  strided_batched_ex(ctx, s, alpha, a, b, beta, c, CUDA_R_16BF, CUDA_R_16BF);
}

void gemm(const Context& ctx, const GemmShape& s, float alpha, const Half* a, const Half* b, float beta, float* c) {
  strided_batched_ex(ctx, s, alpha, a, b, beta, c, CUDA_R_16F, CUDA_R_32F);
}

void gemm(const Context& ctx, const GemmShape& s, float alpha, const BFloat16* a, const BFloat16* b, float beta,
          float* c) {
  strided_batched_ex(ctx, s, alpha, a, b, beta, c, CUDA_R_16BF, CUDA_R_32F);
}

template void gemm<float>(const Context&, const GemmShape&, float, const float*, const float*, float, float*);
template void gemm<double>(const Context&, const GemmShape&, double, const double*, const double*, double, double*);

}  // namespace attn::ops::cuda
