// The machine and build facts a report carries (DESIGN.md §5, §7). Linux only: every source is a
// /proc or /sys file, a libc call or a compile-time fact, and a source that cannot be read leaves
// its field empty rather than failing the run; a benchmark must not die for lack of a hostname.
#include "core/sysinfo.hpp"
#include "core/threads.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build_info.hpp"
#include "core/error.hpp"

// OpenBLAS's own introspection. Declared here rather than through cblas.h so this file does not pull
// in the BLAS API (and cannot clash with another cblas.h on the include path).
extern "C" char* openblas_get_config();
extern "C" char* openblas_get_corename();

namespace attn {
namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// The value after "key:" on the first line of a /proc file that starts with `key`.
std::string proc_field(const char* file, std::string_view key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos && trim(std::string_view(line).substr(key.size(), colon - key.size())).empty())
      return trim(std::string_view(line).substr(colon + 1));
  }
  return {};
}

// /proc/meminfo values are "<n> kB".
int64_t meminfo_bytes(std::string_view key) {
  const std::string v = proc_field("/proc/meminfo", key);
  if (v.empty()) return 0;
  try {
    return static_cast<int64_t>(std::stoll(v)) * 1024;
  } catch (const std::exception&) {
    return 0;
  }
}

// "always [madvise] never" -> "madvise": the kernel brackets the active mode.
std::string thp_mode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(in, line)) return {};
  const auto open = line.find('[');
  const auto close = line.find(']', open);
  if (open == std::string::npos || close == std::string::npos) return trim(line);
  return line.substr(open + 1, close - open - 1);
}

std::string iso8601_utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

// True when `git status --porcelain` in the source tree lists anything. A tree that is gone, is not
// a git checkout, or has no git on the PATH is quietly "clean": we cannot tell, and say nothing.
bool source_tree_dirty(const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return false;
  std::string quoted = "'";
  for (char c : dir) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string cmd = "git -C " + quoted + " status --porcelain 2>/dev/null";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return false;
  std::array<char, 256> buf{};
  bool any = false;
  while (std::fgets(buf.data(), buf.size(), p)) any = any || buf[0] != '\0';
  const int rc = ::pclose(p);
  return rc == 0 && any;
}

void fill_blas(SystemInfo& info) {
  const char* config = openblas_get_config();
  const char* core = openblas_get_corename();
  info.blas_vendor = "OpenBLAS";
  info.blas_config = config ? trim(config) : "";
  info.blas_coretype = core ? trim(core) : "";
  // The config string starts "OpenBLAS 0.3.21 ..."; the version is the second word.
  std::istringstream words(info.blas_config);
  std::string first, second;
  words >> first >> second;
  info.blas_version = (first == "OpenBLAS" && !second.empty()) ? second : info.blas_config;
}

std::string compiler_string() {
  std::string s = trim(build::kCxxCompiler);
  const std::string cuda = trim(build::kCudaCompiler);
  if (!cuda.empty()) s += "; CUDA " + cuda;
  return s;
}

}  // namespace

SystemInfo gather_system_info(int threads) {
  SystemInfo info;
  info.date = iso8601_utc_now();
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0) info.host = host.data();
  struct utsname u{};
  if (::uname(&u) == 0) info.os = fmt::format("{} {}", u.sysname, u.release);
  info.cpu_model = proc_field("/proc/cpuinfo", "model name");
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  info.cores = online > 0 ? static_cast<int>(online) : 0;
  info.threads = threads;
  info.memory_bytes = meminfo_bytes("MemTotal");
  info.memory_available_bytes = meminfo_bytes("MemAvailable");
  fill_blas(info);
  info.thp_mode = thp_mode();
  info.omp_wait_policy = omp_wait_policy();
  info.compiler = compiler_string();
  info.build_type = build::kBuildType;
  info.git_commit = build::kGitCommit;
  info.git_dirty = source_tree_dirty(build::kSourceDir);
  info.version = build::kVersion;
  // CUDA facts come from the GPU backend, which fills info.cuda when a device is in use.

  if (info.build_type != "Release") info.warnings.push_back("debug build");
  if (info.git_dirty) info.warnings.push_back("uncommitted changes in the source tree");
  if (info.thp_mode == "never") info.warnings.push_back("transparent huge pages: never");
  if (info.omp_wait_policy != "PASSIVE" && info.omp_wait_policy != "passive")
    info.warnings.push_back("OMP_WAIT_POLICY is not PASSIVE: OpenMP and OpenBLAS threads may compete for cores");
  return info;
}

nlohmann::json to_json(const SystemInfo& info) {
  const CudaInfo& c = info.cuda;
  return {
      {"date", info.date},
      {"host", info.host},
      {"os", info.os},
      {"cpu", {{"model", info.cpu_model}, {"cores", info.cores}}},
      {"threads", info.threads},
      {"memory", {{"total_bytes", info.memory_bytes}, {"available_bytes", info.memory_available_bytes}}},
      {"blas",
       {{"vendor", info.blas_vendor},
        {"version", info.blas_version},
        {"coretype", info.blas_coretype},
        {"config", info.blas_config}}},
      {"thp_mode", info.thp_mode},
      {"omp_wait_policy", info.omp_wait_policy},
      {"cuda",
       {{"present", c.present},
        {"device", c.device},
        {"compute_capability", c.compute_capability},
        {"sm_count", c.sm_count},
        {"memory_bytes", c.memory_bytes},
        {"driver", c.driver},
        {"runtime", c.runtime},
        {"cublas", c.cublas}}},
      {"compiler", info.compiler},
      {"build_type", info.build_type},
      {"version", info.version},
      {"git_commit", info.git_commit},
      {"git_dirty", info.git_dirty},
      {"warnings", info.warnings},
  };
}

namespace {

// Copies j[key] into `out` when present and of the right type; anything else keeps the default
// (a context is descriptive, and a report from a newer minor version may carry more or less).
template <typename T>
void read(const nlohmann::json& j, const char* key, T& out) {
  if (!j.is_object() || !j.contains(key)) return;
  const auto& v = j[key];
  if constexpr (std::is_same_v<T, std::string>) {
    if (v.is_string()) out = v.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (v.is_boolean()) out = v.get<bool>();
  } else {
    if (v.is_number()) out = v.get<T>();
  }
}

const nlohmann::json& child(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return j.contains(key) && j[key].is_object() ? j[key] : kEmpty;
}

}  // namespace

SystemInfo system_info_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw UsageError("context: expected an object");
  SystemInfo info;
  read(j, "date", info.date);
  read(j, "host", info.host);
  read(j, "os", info.os);
  read(child(j, "cpu"), "model", info.cpu_model);
  read(child(j, "cpu"), "cores", info.cores);
  read(j, "threads", info.threads);
  read(child(j, "memory"), "total_bytes", info.memory_bytes);
  read(child(j, "memory"), "available_bytes", info.memory_available_bytes);
  const auto& blas = child(j, "blas");
  read(blas, "vendor", info.blas_vendor);
  read(blas, "version", info.blas_version);
  read(blas, "coretype", info.blas_coretype);
  read(blas, "config", info.blas_config);
  read(j, "thp_mode", info.thp_mode);
  read(j, "omp_wait_policy", info.omp_wait_policy);
  const auto& cuda = child(j, "cuda");
  read(cuda, "present", info.cuda.present);
  read(cuda, "device", info.cuda.device);
  read(cuda, "compute_capability", info.cuda.compute_capability);
  read(cuda, "sm_count", info.cuda.sm_count);
  read(cuda, "memory_bytes", info.cuda.memory_bytes);
  read(cuda, "driver", info.cuda.driver);
  read(cuda, "runtime", info.cuda.runtime);
  read(cuda, "cublas", info.cuda.cublas);
  read(j, "compiler", info.compiler);
  read(j, "build_type", info.build_type);
  read(j, "version", info.version);
  read(j, "git_commit", info.git_commit);
  read(j, "git_dirty", info.git_dirty);
  if (j.contains("warnings") && j["warnings"].is_array())
    for (const auto& w : j["warnings"])
      if (w.is_string()) info.warnings.push_back(w.get<std::string>());
  return info;
}

std::string fingerprint(const SystemInfo& info) {
  // Only what decides speed: the same CPU and core count, the same BLAS build and kernel set (the
  // coretype changes with OPENBLAS_CORETYPE and moves GEMM throughput by 2x), the same GPU.
  // Host name, date, free memory and thread count are deliberately left out.
  return fmt::format("cpu={}|cores={}|blas={} {} {}|cuda={}", info.cpu_model, info.cores, info.blas_vendor,
                     info.blas_version, info.blas_coretype, info.cuda.present ? info.cuda.device : "none");
}

}  // namespace attn
