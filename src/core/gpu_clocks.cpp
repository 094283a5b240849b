// read_gpu_clocks: NVML through dlopen. NVML ships with the NVIDIA driver, not with the toolkit or
// Debian's -dev packages, so it is loaded at run time; a machine without it reports clocks as
// unavailable. Only the handful of NVML's stable C entry points used here are declared.
#include <dlfcn.h>

#include <mutex>

#include "core/gpu_timing.hpp"

namespace attn {

namespace {

// NVML's C ABI (nvml.h): nvmlReturn_t is an int enum with NVML_SUCCESS = 0; nvmlDevice_t an opaque
// pointer; NVML_CLOCK_SM = 1.
using NvmlDevice = struct NvmlDeviceOpaque*;
using InitFn = int (*)();
using HandleByBusFn = int (*)(const char*, NvmlDevice*);
using ClockFn = int (*)(NvmlDevice, int, unsigned int*);
using ReasonsFn = int (*)(NvmlDevice, unsigned long long*);
constexpr int kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1;

struct Nvml {
  HandleByBusFn handle_by_bus = nullptr;
  ClockFn clock = nullptr;
  ReasonsFn reasons = nullptr;
  bool ok = false;
};

const Nvml& nvml() {
  static Nvml lib;
  static std::once_flag once;
  std::call_once(once, [] {
    void* so = dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (so == nullptr) return;  // kept open for the process's life: NVML is used until exit
    auto init = reinterpret_cast<InitFn>(dlsym(so, "nvmlInit_v2"));
    lib.handle_by_bus = reinterpret_cast<HandleByBusFn>(dlsym(so, "nvmlDeviceGetHandleByPciBusId_v2"));
    lib.clock = reinterpret_cast<ClockFn>(dlsym(so, "nvmlDeviceGetClockInfo"));
    // Renamed "clocks event reasons" in newer drivers; the old name stays exported.
    lib.reasons = reinterpret_cast<ReasonsFn>(dlsym(so, "nvmlDeviceGetCurrentClocksThrottleReasons"));
    lib.ok = init != nullptr && lib.handle_by_bus != nullptr && lib.clock != nullptr && init() == kNvmlSuccess;
  });
  return lib;
}

}  // namespace

std::vector<std::string> GpuClocks::throttle_reasons() const {
  // nvmlClocksThrottleReasons bits (nvml.h); 0x1 (GPU idle) is left out: it is set between kernels.
  static const std::pair<uint64_t, const char*> kNames[] = {
      {0x2, "applications_clocks_setting"}, {0x4, "sw_power_cap"},          {0x8, "hw_slowdown"},
      {0x10, "sync_boost"},                 {0x20, "sw_thermal_slowdown"},   {0x40, "hw_thermal_slowdown"},
      {0x80, "hw_power_brake_slowdown"},    {0x100, "display_clock_setting"}};
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames)
    if (throttle_mask & bit) out.emplace_back(name);
  return out;
}

GpuClocks read_gpu_clocks() {
  GpuClocks c;
  const Nvml& lib = nvml();
  if (!lib.ok) return c;
  const std::string bus = cuda_pci_bus_id();
  NvmlDevice dev = nullptr;
  if (bus.empty() || lib.handle_by_bus(bus.c_str(), &dev) != kNvmlSuccess) return c;
  unsigned int mhz = 0;
  if (lib.clock(dev, kNvmlClockSm, &mhz) != kNvmlSuccess) return c;
  c.available = true;
  c.sm_mhz = static_cast<int>(mhz);
  unsigned long long mask = 0;
  if (lib.reasons != nullptr && lib.reasons(dev, &mask) == kNvmlSuccess) c.throttle_mask = mask;
  return c;
}

}  // namespace attn
