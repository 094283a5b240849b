// Memory-model tier of the method suite and the registry's bookkeeping: tracked peaks match each
// method's own estimate, sub-quadratic methods never hold an N x N buffer, every method file
// registers exactly one method, and docs/methods.md is what the registry generates.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "methods/method_docs.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {

struct MemoryCase {
  std::string method;
  Budget budget;
  std::vector<std::pair<std::string, ParamValue>> params;
  bool causal = false;
};

std::vector<MemoryCase> memory_cases() {
  return {{"exact", {}, {}},
          {"flash", {}, {}},
          {"flash", {}, {}, true},
          {"local", {.sparsity = 0.95}, {}},
          {"local", {.sparsity = 0.9}, {{"variant", std::string("blocks")}}},
          {"performer", {.rank = 256}, {}},
          {"performer", {.rank = 128}, {}, true},
          {"performer", {.rank = 128}, {{"features", std::string("trig")}}},
          {"nystrom", {.rank = 64}, {}},
          {"mean-v", {}, {}}};
}

TEST(MemoryModel, TrackedPeakMatchesEstimateAndSubquadraticStaysBelowNSquared) {
  constexpr int64_t kN = 4096;
  const Inputs in = make_inputs({1, 2, kN, 64}, 21, 0.5);
  for (const auto& c : memory_cases()) {
    const MethodRun run = run_method(c.method, in, c.causal, 0, c.budget, c.params);
    const double peak = static_cast<double>(run.peak_bytes);
    EXPECT_LE(std::abs(peak - run.estimate_bytes), 0.1 * run.estimate_bytes + 64 * 1024)
        << "peak " << peak << " estimate " << run.estimate_bytes << "; " << run.replay;
    if (MethodRegistry::instance().find(c.method)->subquadratic)
      EXPECT_LT(peak, double(kN) * kN * 4) << run.replay;
  }
}

TEST(MemoryModel, FlashScratchDoesNotGrowWithSequenceLength) {
  const MethodInfo* flash = MethodRegistry::instance().find("flash");
  ParamSet p;
  Realized r;
  p = resolve_params(*flash, {}, {1, 1, 16384, 64, false}, {}, r);
  EXPECT_LT(flash->workspace_bytes({1, 1, 16384, 64, false}, p, 2), 8.0 * (1 << 20));
  EXPECT_EQ(flash->workspace_bytes({1, 1, 16384, 64, false}, p, 2), flash->workspace_bytes({1, 1, 1024, 64, false}, p, 2));
}

TEST(Registry, HoldsOneMethodPerMethodFile) {
  // A method file is a source in src/methods/ that registers a method.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ATTNBENCH_SOURCE_DIR "/src/methods")) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream f(entry.path());
    std::stringstream text;
    text << f.rdbuf();
    if (text.str().find("const MethodRegistration kRegistration") != std::string::npos) ++files;
  }
  EXPECT_GE(files, 6u);
  EXPECT_EQ(MethodRegistry::instance().all().size(), files);
}

TEST(Registry, EveryMethodDeclaresItsContract) {
  for (const auto& m : MethodRegistry::instance().all()) {
    EXPECT_FALSE(m.summary.empty()) << m.name;
    EXPECT_FALSE(m.paper.empty()) << m.name;
    EXPECT_FALSE(m.budget_doc.empty()) << m.name;
    EXPECT_FALSE(m.complexity.empty()) << m.name;
    EXPECT_EQ(m.name.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ _"), std::string::npos) << m.name;
  }
}

TEST(Registry, DocsMethodsMdIsGeneratedFromTheRegistry) {
  std::ifstream f(ATTNBENCH_SOURCE_DIR "/docs/methods.md");
  ASSERT_TRUE(f) << "docs/methods.md is missing: run `attnbench list --markdown > docs/methods.md`";
  std::stringstream text;
  text << f.rdbuf();
  EXPECT_EQ(text.str(), methods_markdown()) << "docs/methods.md is stale: run `attnbench list --markdown > docs/methods.md`";
}

}  // namespace
}  // namespace attn::test
