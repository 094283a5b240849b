// Raw allocation and copies on either device, without CUDA types in the header (STYLE.md rule 3).
// Host buffers are 64-byte aligned; large ones ask for transparent huge pages (madvise), because
// first-touch page faults on fresh 4 KiB pages dominate large buffers on these machines.
#pragma once

#include <cstddef>

#include "core/dtype.hpp"

namespace attn {

// Throws OutOfMemoryError when the allocation fails, UnsupportedError for cuda in a CPU-only build.
void* device_alloc(Device device, std::size_t bytes);
void device_free(Device device, void* ptr) noexcept;
// Copies between any two devices (host<->device, device<->device, host<->host).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes);
void fill_zero(void* dst, Device device, std::size_t bytes);

// Waits until all queued work on the device is done (no-op on the CPU). Timers call it.
void device_synchronize(Device device);

// True when this build has the CUDA backend and a device is present.
bool cuda_available();
// Number of bytes free on the current CUDA device (0 without one).
std::size_t cuda_free_bytes();

}  // namespace attn
