// gather_system_info on this machine, its JSON nesting (DESIGN.md §7) and the compare fingerprint.
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "build_info.hpp"
#include "core/sysinfo.hpp"

namespace attn {
namespace {

bool has_warning(const SystemInfo& info, const std::string& w) {
  return std::find(info.warnings.begin(), info.warnings.end(), w) != info.warnings.end();
}

TEST(SystemInfo, GathersThisMachine) {
  const SystemInfo info = gather_system_info(3);
  EXPECT_FALSE(info.cpu_model.empty());
  EXPECT_GT(info.cores, 0);
  EXPECT_EQ(info.threads, 3);
  EXPECT_FALSE(info.host.empty());
  EXPECT_GT(info.memory_bytes, 0);
  EXPECT_GT(info.memory_available_bytes, 0);
  EXPECT_LE(info.memory_available_bytes, info.memory_bytes);
  EXPECT_EQ(info.blas_vendor, "OpenBLAS");
  EXPECT_TRUE(std::regex_match(info.blas_version, std::regex(R"(\d+\.\d+(\.\d+)?.*)"))) << info.blas_version;
  EXPECT_FALSE(info.blas_coretype.empty());
  EXPECT_TRUE(std::regex_match(info.date, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << info.date;
  EXPECT_EQ(info.os.rfind("Linux ", 0), 0u) << info.os;
  EXPECT_TRUE(info.thp_mode.empty() || info.thp_mode == "always" || info.thp_mode == "madvise" ||
              info.thp_mode == "never")
      << info.thp_mode;
  EXPECT_FALSE(info.compiler.empty());
  EXPECT_EQ(info.build_type, build::kBuildType);
  EXPECT_EQ(info.git_commit, build::kGitCommit);
  EXPECT_EQ(info.version, build::kVersion);
  EXPECT_FALSE(info.cuda.present);  // the GPU backend fills this, not gather_system_info
}

TEST(SystemInfo, WarningsFollowTheFacts) {
  const SystemInfo info = gather_system_info(1);
  EXPECT_EQ(has_warning(info, "debug build"), info.build_type != "Release");
  EXPECT_EQ(has_warning(info, "uncommitted changes in the source tree"), info.git_dirty);
  EXPECT_EQ(has_warning(info, "transparent huge pages: never"), info.thp_mode == "never");
}

TEST(SystemInfo, JsonNesting) {
  SystemInfo info = gather_system_info(2);
  info.cuda.present = true;
  info.cuda.device = "NVIDIA H200";
  const nlohmann::json j = to_json(info);
  EXPECT_EQ(j.at("cpu").at("model"), info.cpu_model);
  EXPECT_EQ(j.at("cpu").at("cores"), info.cores);
  EXPECT_EQ(j.at("threads"), 2);
  EXPECT_EQ(j.at("blas").at("vendor"), "OpenBLAS");
  EXPECT_EQ(j.at("blas").at("version"), info.blas_version);
  EXPECT_EQ(j.at("cuda").at("device"), "NVIDIA H200");
  EXPECT_TRUE(j.at("cuda").contains("memory_bytes"));
  EXPECT_TRUE(j.at("cuda").contains("driver"));
  EXPECT_TRUE(j.at("cuda").contains("runtime"));
  EXPECT_EQ(j.at("memory").at("total_bytes"), info.memory_bytes);
  for (const char* key : {"date", "host", "os", "compiler", "build_type", "thp_mode", "git_commit", "git_dirty",
                          "warnings", "version"})
    EXPECT_TRUE(j.contains(key)) << key;
}

TEST(SystemInfo, JsonRoundTrip) {
  SystemInfo info = gather_system_info(2);
  info.cuda = {true, "NVIDIA H200", "9.0", 132, int64_t{141} << 30, "13.0", "12.4", "12.4.5"};
  info.warnings.push_back("extra");
  const nlohmann::json j = to_json(info);
  EXPECT_EQ(to_json(system_info_from_json(nlohmann::json::parse(j.dump()))), j);
}

TEST(SystemInfo, FingerprintIgnoresRunDetailsButNotHardware) {
  SystemInfo a = gather_system_info(1);
  SystemInfo b = a;
  b.host = "elsewhere";
  b.date = "1999-01-01T00:00:00Z";
  b.threads = 7;
  b.memory_available_bytes = 1;
  EXPECT_EQ(fingerprint(a), fingerprint(b));
  EXPECT_NE(fingerprint(a).find(a.cpu_model), std::string::npos);
  b.cores = a.cores + 1;
  EXPECT_NE(fingerprint(a), fingerprint(b));
  b = a;
  b.blas_version = "9.9.9";
  EXPECT_NE(fingerprint(a), fingerprint(b));
  b = a;
  b.cuda.present = true;
  b.cuda.device = "NVIDIA H200";
  EXPECT_NE(fingerprint(a), fingerprint(b));
}

}  // namespace
}  // namespace attn
