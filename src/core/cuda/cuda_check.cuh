// Checked CUDA and cuBLAS calls: every call goes through one of these, and a failure becomes a
// CaseError (the case's status), with cudaErrorMemoryAllocation mapped to OutOfMemoryError.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

namespace attn::cuda {

void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line);
void throw_cublas_error(cublasStatus_t st, const char* expr, const char* file, int line);

}  // namespace attn::cuda

#define ATTN_CUDA_CHECK(expr)                                                          \
  do {                                                                                 \
    cudaError_t attn_err_ = (expr);                                                    \
    if (attn_err_ != cudaSuccess) ::attn::cuda::throw_cuda_error(attn_err_, #expr, __FILE__, __LINE__); \
  } while (0)

#define ATTN_CUBLAS_CHECK(expr)                                                            \
  do {                                                                                     \
    cublasStatus_t attn_st_ = (expr);                                                      \
    if (attn_st_ != CUBLAS_STATUS_SUCCESS) ::attn::cuda::throw_cublas_error(attn_st_, #expr, __FILE__, __LINE__); \
  } while (0)
