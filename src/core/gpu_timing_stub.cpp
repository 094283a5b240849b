// CPU-only build: no device timer or L2 flusher can exist, and there is no device to describe.
#include "core/gpu_timing.hpp"

#if !ATTNBENCH_HAVE_CUDA

#include "core/error.hpp"

namespace attn {

namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw UnsupportedError(std::string("this build has no CUDA backend (") + what + ")");
}
}  // namespace

DeviceTimer::DeviceTimer(void*) { no_cuda("DeviceTimer"); }
DeviceTimer::~DeviceTimer() = default;
void DeviceTimer::start() { no_cuda("DeviceTimer"); }
double DeviceTimer::stop_ms() { no_cuda("DeviceTimer"); }

L2Flusher::L2Flusher(void*) { no_cuda("L2Flusher"); }
L2Flusher::~L2Flusher() = default;
void L2Flusher::flush() { no_cuda("L2Flusher"); }

CudaInfo query_cuda_info() { return {}; }
std::string cuda_pci_bus_id() { return {}; }

}  // namespace attn

#endif
