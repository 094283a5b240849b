// Test helpers for the captured inputs (distribution "real"): point ATTNBENCH_DATA_DIR at the
// shipped data, or at a scratch copy that a test may damage (a missing file, a flipped byte, an
// edited manifest) to check the errors users would see.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace attn::test {

inline constexpr const char* kRealSource = "minilm-l6";  // the set shipped in bench_specs/data

inline std::string shipped_data_dir() { return std::string(ATTNBENCH_SOURCE_DIR) + "/bench_specs/data"; }

// Sets ATTNBENCH_DATA_DIR for the scope; restores the previous value (a user's own setting must not
// decide what these tests read).
class DataDirEnv {
 public:
  explicit DataDirEnv(const std::string& dir) {
    if (const char* old = std::getenv("ATTNBENCH_DATA_DIR")) old_ = old, had_ = true;
    ::setenv("ATTNBENCH_DATA_DIR", dir.c_str(), 1);
  }
  ~DataDirEnv() {
    if (had_) ::setenv("ATTNBENCH_DATA_DIR", old_.c_str(), 1);
    else ::unsetenv("ATTNBENCH_DATA_DIR");
  }
  DataDirEnv(const DataDirEnv&) = delete;
  DataDirEnv& operator=(const DataDirEnv&) = delete;

 private:
  std::string old_;
  bool had_ = false;
};

// A scratch data folder holding a copy of the shipped set, selected by ATTNBENCH_DATA_DIR.
class ScratchData {
 public:
  ScratchData()
      : root_(std::filesystem::temp_directory_path() /
              ("attn_real_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        env_(root_.string()) {
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    std::filesystem::copy(std::filesystem::path(shipped_data_dir()) / kRealSource, set_dir());
  }
  ~ScratchData() { std::filesystem::remove_all(root_); }

  std::filesystem::path set_dir() const { return root_ / kRealSource; }
  std::string file(const std::string& name) const { return (set_dir() / name).string(); }
  std::string manifest_path() const { return file("manifest.json"); }

  nlohmann::json manifest() const {
    std::ifstream in(manifest_path());
    return nlohmann::json::parse(in);
  }
  void write_manifest(const nlohmann::json& j) const { std::ofstream(manifest_path()) << j.dump(1); }

 private:
  std::filesystem::path root_;
  DataDirEnv env_;
};

}  // namespace attn::test
