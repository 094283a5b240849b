// CUDA side of core/device_memory.hpp and of the checked-call helpers.
#include <fmt/format.h>

#include "core/cuda/cuda_check.cuh"
#include "core/error.hpp"

namespace attn {
namespace cuda {

void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line) {
  std::string msg = fmt::format("CUDA error {} ({}) in {} at {}:{}", cudaGetErrorName(err),
                                cudaGetErrorString(err), expr, file, line);
  cudaGetLastError();  // clear the sticky-free error so the next case starts clean
  if (err == cudaErrorMemoryAllocation) throw OutOfMemoryError(msg);
  throw CaseError(msg);
}

void throw_cublas_error(cublasStatus_t st, const char* expr, const char* file, int line) {
  std::string msg = fmt::format("cuBLAS error {} in {} at {}:{}", static_cast<int>(st), expr, file, line);
  if (st == CUBLAS_STATUS_ALLOC_FAILED) throw OutOfMemoryError(msg);
  throw CaseError(msg);
}

}  // namespace cuda

void* cuda_alloc_impl(std::size_t bytes) {
  void* p = nullptr;
  ATTN_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}

void cuda_free_impl(void* ptr) noexcept { cudaFree(ptr); }

// copy_bytes and fill_zero are full barriers on the device. Ops run on the session's non-blocking
// stream, which the legacy default stream of cudaMemcpy/cudaMemset does not order against: without
// the first synchronize a device-to-host copy could read before a kernel finished; without the
// second a kernel could start before a pageable host-to-device copy's DMA or a memset landed
// (cudaMemcpy from pageable memory returns once the data is staged, not written). Copies happen at
// set-up and verification, outside the timed region, so the barrier costs no measured time.
void cuda_copy_impl(void* dst, bool dst_device, const void* src, bool src_device, std::size_t bytes) {
  cudaMemcpyKind kind = dst_device ? (src_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                   : (src_device ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  ATTN_CUDA_CHECK(cudaDeviceSynchronize());
  ATTN_CUDA_CHECK(cudaMemcpy(dst, src, bytes, kind));
  ATTN_CUDA_CHECK(cudaDeviceSynchronize());
}

void cuda_zero_impl(void* dst, std::size_t bytes) {
  ATTN_CUDA_CHECK(cudaDeviceSynchronize());
  ATTN_CUDA_CHECK(cudaMemset(dst, 0, bytes));
  ATTN_CUDA_CHECK(cudaDeviceSynchronize());
}

void cuda_synchronize_impl() { ATTN_CUDA_CHECK(cudaDeviceSynchronize()); }

bool cuda_available_impl() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return n > 0;
}

std::size_t cuda_free_bytes_impl() {
  if (!cuda_available_impl()) return 0;
  std::size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) return 0;
  return free_b;
}

}  // namespace attn
