// The specs shipped in bench_specs/ stay valid as methods and limits change: each one parses and
// expands (a renamed parameter or a tightened range fails here, not in a user's sweep), is named
// after its file, and the GPU sweep keeps covering every method that can run on a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>

#include "methods/registry.hpp"
#include "spec/spec.hpp"

namespace {

namespace fs = std::filesystem;
using attn::Spec;

const fs::path kSpecDir = fs::path(ATTNBENCH_SOURCE_DIR) / "bench_specs";

TEST(ShippedSpecs, EveryOneParsesExpandsAndIsNamedAfterItsFile) {
  int specs = 0;
  for (const auto& entry : fs::directory_iterator(kSpecDir)) {
    if (entry.path().extension() != ".json") continue;
    ++specs;
    SCOPED_TRACE(entry.path().filename().string());
    Spec spec;
    ASSERT_NO_THROW(spec = attn::load_spec_file(entry.path().string()));
    EXPECT_FALSE(spec.cases.empty());
    EXPECT_EQ(spec.name, entry.path().stem().string());
  }
  EXPECT_GE(specs, 10);
}

TEST(ShippedSpecs, GpuScalingCoversEveryMethodThatRunsOnCuda) {
  const Spec spec = attn::load_spec_file((kSpecDir / "gpu-scaling.json").string());
  std::set<std::string> listed;
  for (const attn::Case& c : spec.cases) {
    EXPECT_EQ(c.device, attn::Device::cuda) << c.id;
    listed.insert(c.method);
  }
  for (const attn::MethodInfo& info : attn::MethodRegistry::instance().all()) {
    const bool on_cuda = info.runs_on(attn::Device::cuda);
    EXPECT_EQ(listed.count(info.name), on_cuda ? 1u : 0u)
        << info.name << (on_cuda ? " runs on cuda but is missing from" : " is cpu-only but listed in")
        << " bench_specs/gpu-scaling.json";
  }
}

TEST(ShippedSpecs, GpuLinearScalingSpansSixteenfoldN) {
  const Spec spec = attn::load_spec_file((kSpecDir / "gpu-linear-scaling.json").string());
  std::set<int64_t> lengths;
  std::set<std::string> methods;
  for (const attn::Case& c : spec.cases) {
    lengths.insert(c.input.seq_len);
    methods.insert(c.method);
  }
  ASSERT_FALSE(lengths.empty());
  EXPECT_EQ(*lengths.begin(), 8192);
  EXPECT_EQ(*lengths.rbegin(), 16 * 8192);
  EXPECT_TRUE(methods.count("performer") && methods.count("nystrom")) << "the issue's two linear methods";
}

}  // namespace
