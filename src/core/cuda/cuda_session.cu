// CUDA side of core/cuda_session.hpp.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "core/cuda/cuda_check.cuh"
#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"
#include "core/error.hpp"

namespace attn {

std::size_t cuda_blas_workspace_bytes() {
  static const std::size_t bytes = [] {
    constexpr std::size_t kUnknown = cuda_blas_workspace_bytes_for(9);
    if (!cuda_available()) return kUnknown;
    int device = 0, major = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess) {
      cudaGetLastError();  // leave no sticky error for the next call
      return kUnknown;
    }
    return cuda_blas_workspace_bytes_for(major);
  }();
  return bytes;
}

CudaSession::CudaSession() {
  int device = 0;
  ATTN_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  ATTN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  blas_workspace_bytes_ = cuda_blas_workspace_bytes_for(prop.major);
  cudaStream_t stream = nullptr;
  ATTN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  stream_ = stream;
  cublasHandle_t handle = nullptr;
  const cublasStatus_t st = cublasCreate(&handle);
  if (st != CUBLAS_STATUS_SUCCESS) {
    cudaStreamDestroy(stream);  // the destructor does not run for a throwing constructor
    stream_ = nullptr;
    ATTN_CUBLAS_CHECK(st);
  }
  handle_ = handle;
  ATTN_CUBLAS_CHECK(cublasSetStream(handle, stream));
}

CudaSession::~CudaSession() {
  // Errors are not thrown from a destructor; a failed destroy leaks nothing we could recover.
  if (handle_ != nullptr) cublasDestroy(static_cast<cublasHandle_t>(handle_));
  if (stream_ != nullptr) cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
}

void CudaSession::synchronize() const { ATTN_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_))); }

Context CudaSession::make_context(Workspace& workspace, int threads) {
  ATTN_CHECK(workspace.device() == Device::cuda, "CudaSession::make_context needs a CUDA workspace");
  void* blas_ws = workspace.get_bytes("cublas.workspace", blas_workspace_bytes_);
  // Stream first: cublasSetStream resets the handle's workspace to cuBLAS's own pool (cuBLAS docs),
  // so the tracked buffer is bound after it (ops/cuda/gemm.cu rebinds it the same way).
  ATTN_CUBLAS_CHECK(cublasSetStream(static_cast<cublasHandle_t>(handle_), static_cast<cudaStream_t>(stream_)));
  ATTN_CUBLAS_CHECK(cublasSetWorkspace(static_cast<cublasHandle_t>(handle_), blas_ws, blas_workspace_bytes_));
  Context ctx;
  ctx.device = Device::cuda;
  ctx.workspace = &workspace;
  ctx.threads = threads;
  ctx.stream = stream_;
  ctx.blas_handle = handle_;
  return ctx;
}

}  // namespace attn
