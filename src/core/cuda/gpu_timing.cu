// CUDA side of core/gpu_timing.hpp: event timer, L2 flusher and device facts.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <fmt/format.h>

#include "core/cuda/cuda_check.cuh"
#include "core/gpu_timing.hpp"

namespace attn {

namespace {
cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }
cudaEvent_t as_event(void* e) { return static_cast<cudaEvent_t>(e); }
}  // namespace

DeviceTimer::DeviceTimer(void* stream) : stream_(stream) {
  cudaEvent_t b = nullptr, e = nullptr;
  ATTN_CUDA_CHECK(cudaEventCreate(&b));
  begin_ = b;
  const cudaError_t err = cudaEventCreate(&e);
  if (err != cudaSuccess) {
    cudaEventDestroy(b);  // the destructor does not run for a throwing constructor
    ATTN_CUDA_CHECK(err);
  }
  end_ = e;
}

DeviceTimer::~DeviceTimer() {
  if (begin_ != nullptr) cudaEventDestroy(as_event(begin_));
  if (end_ != nullptr) cudaEventDestroy(as_event(end_));
}

void DeviceTimer::start() { ATTN_CUDA_CHECK(cudaEventRecord(as_event(begin_), as_stream(stream_))); }

double DeviceTimer::stop_ms() {
  ATTN_CUDA_CHECK(cudaEventRecord(as_event(end_), as_stream(stream_)));
  ATTN_CUDA_CHECK(cudaEventSynchronize(as_event(end_)));
  float ms = 0;
  ATTN_CUDA_CHECK(cudaEventElapsedTime(&ms, as_event(begin_), as_event(end_)));
  return static_cast<double>(ms);
}

L2Flusher::L2Flusher(void* stream) : stream_(stream) {
  int device = 0, l2 = 0;
  ATTN_CUDA_CHECK(cudaGetDevice(&device));
  ATTN_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
  bytes_ = 2 * static_cast<std::size_t>(l2 > 0 ? l2 : (64 << 20));
  ATTN_CUDA_CHECK(cudaMalloc(&buffer_, bytes_));
}

L2Flusher::~L2Flusher() {
  if (buffer_ != nullptr) cudaFree(buffer_);
}

void L2Flusher::flush() { ATTN_CUDA_CHECK(cudaMemsetAsync(buffer_, 0, bytes_, as_stream(stream_))); }

CudaInfo query_cuda_info() {
  CudaInfo info;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    return info;
  }
  int device = 0;
  cudaDeviceProp prop{};
  if (cudaGetDevice(&device) != cudaSuccess || cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    cudaGetLastError();
    return info;
  }
  info.present = true;
  info.device = prop.name;
  info.compute_capability = fmt::format("{}.{}", prop.major, prop.minor);
  info.sm_count = prop.multiProcessorCount;
  info.memory_bytes = static_cast<int64_t>(prop.totalGlobalMem);
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  auto version = [](int v) { return fmt::format("{}.{}", v / 1000, (v % 1000) / 10); };
  info.driver = version(driver);
  info.runtime = version(runtime);
  int major = 0, minor = 0, patch = 0;
  cublasGetProperty(MAJOR_VERSION, &major);
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  info.cublas = fmt::format("{}.{}.{}", major, minor, patch);
  return info;
}

std::string cuda_pci_bus_id() {
  int device = 0;
  char id[32] = {};
  if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetPCIBusId(id, sizeof id, device) != cudaSuccess) {
    cudaGetLastError();
    return {};
  }
  return id;
}

}  // namespace attn
