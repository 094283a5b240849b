// The fuzzed bytes as a file, for readers whose entry point takes a path (read_npy, read_report,
// read_jsonl): fuzzing through the real entry point also covers the size checks done on the file.
// One private folder per process (under /dev/shm when present, so no disk I/O), removed at exit.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace attn::fuzz {

class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string templ = std::string(base) + "/attnbench-fuzz-XXXXXX";
    if (!::mkdtemp(templ.data())) std::abort();
    dir_ = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  // Writes `data` to <dir>/<name> and returns the path.
  std::string write(const std::string& name, const uint8_t* data, size_t size) const {
    const std::string path = dir_ + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) std::abort();
    return path;
  }

 private:
  std::string dir_;
};

// A static ScratchDir is destroyed at normal exit; libFuzzer exits with _exit after a crash, which
// leaves the folder (its name says what it is).
inline const ScratchDir& scratch() {
  static const ScratchDir dir;
  return dir;
}

}  // namespace attn::fuzz
