// Facts about the machine and the build that a report carries in its `context`, so two reports can
// be compared only when they came from comparable machines (report/compare uses `fingerprint`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace attn {

struct CudaInfo {
  bool present = false;
  std::string device;          // e.g. "NVIDIA H200"
  std::string compute_capability;
  int sm_count = 0;
  int64_t memory_bytes = 0;
  std::string driver;          // driver API version, e.g. "13.0"
  std::string runtime;
  std::string cublas;
};

struct SystemInfo {
  std::string host;
  std::string date;            // ISO 8601 UTC, when the info was gathered
  std::string os;              // uname sysname + release
  std::string cpu_model;       // /proc/cpuinfo "model name"
  int cores = 0;               // logical CPUs online
  int threads = 0;             // threads attnbench uses (OpenMP and BLAS)
  int64_t memory_bytes = 0;    // MemTotal
  int64_t memory_available_bytes = 0;  // MemAvailable
  std::string blas_vendor;     // "OpenBLAS"
  std::string blas_version;    // the version number in openblas_get_config(), e.g. "0.3.21"
  std::string blas_coretype;   // openblas_get_corename()
  std::string blas_config;     // the whole openblas_get_config() string (build options)
  std::string thp_mode;        // transparent huge pages: always / madvise / never
  std::string omp_wait_policy; // OMP_WAIT_POLICY in effect ("PASSIVE" normally; see core/threads.hpp)
  std::string compiler;
  std::string build_type;
  std::string git_commit;
  bool git_dirty = false;      // uncommitted changes in the source tree at configure time or run time
  std::string version;
  CudaInfo cuda;
  // Warnings a reader should see (debug build, dirty tree, ...).
  std::vector<std::string> warnings;
};

SystemInfo gather_system_info(int threads);
nlohmann::json to_json(const SystemInfo& info);
// Reads back what to_json wrote (missing keys keep their defaults), so `compare` can fingerprint a
// stored report. Throws UsageError when `j` is not an object.
SystemInfo system_info_from_json(const nlohmann::json& j);
// A stable string identifying the machine for `compare` (cpu model, cores, gpu, blas).
std::string fingerprint(const SystemInfo& info);

}  // namespace attn
