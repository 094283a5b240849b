// Helpers of the CPU-vs-GPU tests (header-only, like ops_testing.hpp, so the test glob does not
// turn it into a test): a device copy of a host vector, a GPU case with its own session and tracked
// workspace, and the skip that every GPU test starts with.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "core/context.hpp"
#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"
#include "core/workspace.hpp"

namespace attn::testing {

// A device copy of a host vector, freed with the test.
template <class T>
struct DeviceVector {
  explicit DeviceVector(const std::vector<T>& host) : n(host.size()) {
    ptr = static_cast<T*>(device_alloc(Device::cuda, std::max<std::size_t>(1, n) * sizeof(T)));
    if (n > 0) copy_bytes(ptr, Device::cuda, host.data(), Device::cpu, n * sizeof(T));
  }
  explicit DeviceVector(std::size_t count) : DeviceVector(std::vector<T>(count)) {}
  // Device memory only, contents undefined (for buffers too large to stage through the host).
  struct Uninitialized {};
  DeviceVector(std::size_t count, Uninitialized) : n(count) {
    ptr = static_cast<T*>(device_alloc(Device::cuda, std::max<std::size_t>(1, n) * sizeof(T)));
  }
  ~DeviceVector() { device_free(Device::cuda, ptr); }
  DeviceVector(const DeviceVector&) = delete;
  DeviceVector& operator=(const DeviceVector&) = delete;
  std::vector<T> to_host() const {
    std::vector<T> out(n);
    if (n > 0) copy_bytes(out.data(), Device::cpu, ptr, Device::cuda, n * sizeof(T));
    return out;
  }
  T* ptr = nullptr;
  std::size_t n;
};

// A CUDA context on a session's stream with its own tracked workspace.
struct GpuCase {
  explicit GpuCase(CudaSession& session) : session(session), ctx(session.make_context(ws, 1)) {}
  CudaSession& session;
  Workspace ws{Device::cuda};
  Context ctx;
  void sync() const { session.synchronize(); }
};

}  // namespace attn::testing

#define ATTN_SKIP_WITHOUT_GPU() \
  if (!::attn::cuda_available()) GTEST_SKIP() << "no CUDA device on this machine (or a CPU-only build)"
