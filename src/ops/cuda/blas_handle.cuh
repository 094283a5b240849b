// The context's cuBLAS handle made ready for one call, shared by every op that calls cuBLAS (gemm,
// the complex GEMMs of spectral): the handle may be shared between contexts, so it is pinned to this
// context's stream before each call, with the context's tracked workspace and host pointer mode.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "core/context.hpp"
#include "core/cuda/cuda_check.cuh"
#include "core/cuda_session.hpp"
#include "core/error.hpp"
#include "ops/gemm.hpp"

namespace attn::ops::cuda {

inline cublasOperation_t to_cublas(Trans t) { return t == Trans::yes ? CUBLAS_OP_T : CUBLAS_OP_N; }

// `op` names the caller in the error a context without a handle gets.
inline cublasHandle_t bound_blas_handle(const Context& ctx, const char* op) {
  ATTN_CHECK(ctx.blas_handle != nullptr,
             std::string("cuda ") + op + ": the context has no cuBLAS handle (use CudaSession)");
  auto handle = static_cast<cublasHandle_t>(ctx.blas_handle);
  ATTN_CUBLAS_CHECK(cublasSetStream(handle, static_cast<cudaStream_t>(ctx.stream)));
  // cublasSetStream resets the handle's workspace to cuBLAS's own pool (cuBLAS docs), which would leave
  // the context's tracked "cublas.workspace" (CudaSession::make_context) unused: bind it again.
  if (ctx.workspace != nullptr) {
    const std::size_t bytes = cuda_blas_workspace_bytes();
    ATTN_CUBLAS_CHECK(cublasSetWorkspace(handle, ctx.ws().get_bytes("cublas.workspace", bytes), bytes));
  }
  ATTN_CUBLAS_CHECK(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST));
  return handle;
}

}  // namespace attn::ops::cuda
