// Timing work queued on a CUDA stream, and the device facts a GPU report carries. No CUDA types in
// this header (STYLE.md rule 3): streams are opaque pointers, as in Context. In a CPU-only build the
// classes throw UnsupportedError and the queries return "absent".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/sysinfo.hpp"

namespace attn {

// Elapsed device time between start() and stop_ms() of what the stream ran in between (CUDA events,
// FlashAttention's and Google Benchmark's GPU practice): host launch overhead that overlaps the GPU
// does not count, a host-side stall before the launch does not either.
class DeviceTimer {
 public:
  explicit DeviceTimer(void* stream);
  ~DeviceTimer();
  DeviceTimer(const DeviceTimer&) = delete;
  DeviceTimer& operator=(const DeviceTimer&) = delete;
  void start();
  double stop_ms();  // records the end event and waits for it

 private:
  void* stream_ = nullptr;
  void* begin_ = nullptr;
  void* end_ = nullptr;
};

// Evicts the device's L2 cache between timed samples (--cold-l2) by clearing a buffer twice the L2
// size on the stream, so a kernel cannot reuse inputs the previous sample left in L2. The buffer is
// not part of any case's workspace: it is the harness's, not the method's.
class L2Flusher {
 public:
  explicit L2Flusher(void* stream);
  ~L2Flusher();
  L2Flusher(const L2Flusher&) = delete;
  L2Flusher& operator=(const L2Flusher&) = delete;
  void flush();
  std::size_t bytes() const { return bytes_; }

 private:
  void* stream_ = nullptr;
  void* buffer_ = nullptr;
  std::size_t bytes_ = 0;
};

// The current CUDA device as the report's context describes it (present = false without one).
CudaInfo query_cuda_info();
// The current device's PCI bus id ("0000:3B:00.0"), which NVML uses to name the same device; empty
// without one.
std::string cuda_pci_bus_id();

// SM clock and clock-limiting reasons of the current device from NVML (loaded at run time with
// dlopen, so neither the build nor a machine without the driver needs it).
struct GpuClocks {
  bool available = false;     // NVML answered
  int sm_mhz = 0;
  uint64_t throttle_mask = 0; // nvmlClocksThrottleReasons bits
  std::vector<std::string> throttle_reasons() const;  // names of the set bits, idle excluded
};
GpuClocks read_gpu_clocks();

}  // namespace attn
