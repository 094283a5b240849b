#include "core/device_memory.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <fmt/format.h>

#include "core/error.hpp"

namespace attn {

#if ATTNBENCH_HAVE_CUDA
// Implemented in core/cuda/device_memory.cu.
void* cuda_alloc_impl(std::size_t bytes);
void cuda_free_impl(void* ptr) noexcept;
void cuda_copy_impl(void* dst, bool dst_device, const void* src, bool src_device, std::size_t bytes);
void cuda_zero_impl(void* dst, std::size_t bytes);
void cuda_synchronize_impl();
bool cuda_available_impl();
std::size_t cuda_free_bytes_impl();
#endif

namespace {
constexpr std::size_t kAlign = 64;
constexpr std::size_t kHugePageThreshold = 2u << 20;

#if !ATTNBENCH_HAVE_CUDA
[[noreturn]] void no_cuda() {
  throw UnsupportedError("this build has no CUDA backend (rebuild with nvcc available and -DATTNBENCH_CUDA=ON)");
}
#endif
}  // namespace

void* device_alloc(Device device, std::size_t bytes) {
  if (bytes == 0) bytes = kAlign;
  if (device == Device::cuda) {
#if ATTNBENCH_HAVE_CUDA
    return cuda_alloc_impl(bytes);
#else
    no_cuda();
#endif
  }
  const std::size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  if (p == nullptr) throw OutOfMemoryError(fmt::format("host allocation of {} bytes failed", bytes));
  if (rounded >= kHugePageThreshold) ::madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

void device_free(Device device, void* ptr) noexcept {
  if (ptr == nullptr) return;
  if (device == Device::cuda) {
#if ATTNBENCH_HAVE_CUDA
    cuda_free_impl(ptr);
#endif
    return;
  }
  std::free(ptr);
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes) {
  if (bytes == 0) return;
  if (dst_device == Device::cpu && src_device == Device::cpu) {
    std::memcpy(dst, src, bytes);
    return;
  }
#if ATTNBENCH_HAVE_CUDA
  cuda_copy_impl(dst, dst_device == Device::cuda, src, src_device == Device::cuda, bytes);
#else
  no_cuda();
#endif
}

void fill_zero(void* dst, Device device, std::size_t bytes) {
  if (device == Device::cpu) {
    std::memset(dst, 0, bytes);
    return;
  }
#if ATTNBENCH_HAVE_CUDA
  cuda_zero_impl(dst, bytes);
#else
  no_cuda();
#endif
}

void device_synchronize(Device device) {
#if ATTNBENCH_HAVE_CUDA
  if (device == Device::cuda) cuda_synchronize_impl();
#endif
}

bool cuda_available() {
#if ATTNBENCH_HAVE_CUDA
  return cuda_available_impl();
#else
  return false;
#endif
}

std::size_t cuda_free_bytes() {
#if ATTNBENCH_HAVE_CUDA
  return cuda_free_bytes_impl();
#else
  return 0;
#endif
}

}  // namespace attn
