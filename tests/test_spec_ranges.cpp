// Range checks of every numeric field of a spec (src/spec/spec_limits.hpp): each bound is tested at
// the value just inside (accepted) and just outside (a one-line UsageError naming the JSON path and
// the allowed range), so moving a limit or dropping a check fails here. Also: method parameters
// without a declared maximum, the expansion limits, and that a spec cannot place files outside the
// output folder.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/params.hpp"
#include "methods/registry.hpp"
#include "spec/spec.hpp"
#include "spec/spec_limits.hpp"
#include "support/shell.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace lim = attn::spec_limits;

// A rank method and an integer parameter that declares no maximum (the undeclared bound applies).
const attn::MethodRegistration kRangeMethod([] {
  attn::MethodInfo info;
  info.name = "specrange-count";
  info.family = "test";
  info.summary = "spec range test method";
  info.uses_rank = true;
  info.params = {{"count", attn::ParamType::integer, int64_t{4}, 1.0, std::nullopt, {}, "no declared max"},
                 {"offset", attn::ParamType::integer, int64_t{0}, std::nullopt, std::nullopt, {}, "no bounds"}};
  info.flops = [](const attn::CaseShape&, const attn::ParamSet&) { return 0.0; };
  info.workspace_bytes = [](const attn::CaseShape&, const attn::ParamSet&, int) { return 0.0; };
  info.create = [](const attn::MethodConfig&) -> std::unique_ptr<attn::Method> { return nullptr; };
  info.apply_budget = [](const attn::Budget&, const attn::CaseShape&, const std::vector<std::string>&, attn::ParamSet&,
                         attn::Realized&) {};
  return info;
}());

json base_spec() {
  return json::parse(R"({"name": "r", "inputs": {"seq_len": 64}, "methods": [{"name": "specrange-count"}]})");
}

std::string error_of(const json& j) {
  try {
    attn::parse_spec(j, "r.json");
  } catch (const attn::UsageError& e) {
    return e.what();
  }
  return "";
}

std::string error_of_patch(const std::string& patch) {
  json j = base_spec();
  j.merge_patch(json::parse(patch));
  return error_of(j);
}

struct Bound {
  const char* what;
  std::string inside;    // a JSON merge patch that must be accepted
  std::string outside;   // the same field just past the bound
  std::string expected;  // the full message after "r.json: "
};

std::string at(int64_t x) { return std::to_string(x); }

const Bound kBounds[] = {
    {"seq_len max", R"({"inputs": {"seq_len": )" + at(lim::kMaxSeqLen) + "}}",
     R"({"inputs": {"seq_len": [64, )" + at(lim::kMaxSeqLen + 1) + "]}}",
     "inputs.seq_len[1]: must be in [1, 16777216] (got 16777217)"},
    {"seq_len typo 1e12", R"({"inputs": {"seq_len": 1e3}})", R"({"inputs": {"seq_len": 1e12}})",
     "inputs.seq_len: must be in [1, 16777216] (got 1000000000000.0)"},
    {"seq_len beyond int64", R"({"inputs": {"seq_len": 64}})", R"({"inputs": {"seq_len": 18446744073709551615}})",
     "inputs.seq_len: must be in [1, 16777216] (got 18446744073709551615)"},
    {"head_dim max", R"({"inputs": {"head_dim": 4096}})", R"({"inputs": {"head_dim": 4097}})",
     "inputs.head_dim: must be in [1, 4096] (got 4097)"},
    {"head_dim min", R"({"inputs": {"head_dim": 1}})", R"({"inputs": {"head_dim": 0}})",
     "inputs.head_dim: must be in [1, 4096] (got 0)"},
    {"batch max", R"({"inputs": {"batch": 65536}})", R"({"inputs": {"batch": 65537}})",
     "inputs.batch: must be in [1, 65536] (got 65537)"},
    {"heads max", R"({"inputs": {"heads": 65536}})", R"({"inputs": {"heads": 65537}})",
     "inputs.heads: must be in [1, 65536] (got 65537)"},
    {"heads min", R"({"inputs": {"heads": 1}})", R"({"inputs": {"heads": 0}})",
     "inputs.heads: must be in [1, 65536] (got 0)"},
    {"batch x heads", R"({"inputs": {"batch": 256, "heads": 256}})", R"({"inputs": {"batch": 256, "heads": 257}})",
     "inputs: batch x heads = 65792 is above 65536 (at gaussian/N=64/d=64/B=256/H=257/fp32/seed=0)"},
    {"tensor size", R"({"inputs": {"seq_len": 16777216, "head_dim": 4096}})",
     R"({"inputs": {"seq_len": 16777216, "head_dim": 4096, "batch": 2}})",
     "inputs: batch x heads x seq_len x head_dim = 137438953472 elements per tensor is above 2^36 = 68719476736 "
     "(at gaussian/N=16777216/d=4096/B=2/H=1/fp32/seed=0)"},
    {"seed max", R"({"inputs": {"seed": 9007199254740991}})", R"({"inputs": {"seeds": [0, 9007199254740992]}})",
     "inputs.seeds[1]: must be in [0, 9007199254740991] (got 9007199254740992)"},
    {"temperature max", R"({"inputs": {"temperature": 1e6}})", R"({"inputs": {"temperature": 1.5e6}})",
     "inputs.temperature: must be in (0, 1000000] (got 1500000.0)"},
    {"temperature negative", R"({"inputs": {"temperature": 1e-9}})", R"({"inputs": {"temperature": -1}})",
     "inputs.temperature: must be in (0, 1000000] (got -1)"},
    {"clusters max", R"({"inputs": {"distribution": "clustered", "clusters": 16777216}})",
     R"({"inputs": {"distribution": "clustered", "clusters": 16777217}})",
     "inputs.clusters: must be in [1, 16777216] (got 16777217)"},
    {"subspace_dim max", R"({"inputs": {"distribution": "lowrank", "subspace_dim": 4096}})",
     R"({"inputs": {"distribution": "lowrank", "subspace_dim": 4097}})",
     "inputs.subspace_dim: must be in [1, 4096] (got 4097)"},
    {"smoothing max", R"({"inputs": {"distribution": "local", "smoothing": 16777216}})",
     R"({"inputs": {"distribution": "local", "smoothing": 16777217}})",
     "inputs.smoothing: must be in [1, 16777216] (got 16777217)"},
    {"sinks max", R"({"inputs": {"sinks": 16777216}})", R"({"inputs": {"sinks": 16777217}})",
     "inputs.sinks: must be in [0, 16777216] (got 16777217)"},
    {"rank max", R"({"methods": [{"name": "specrange-count", "rank": 16777216}]})",
     R"({"methods": [{"name": "specrange-count", "rank": [8, 1e15]}]})",
     "methods[0].rank[1]: must be in [1, 16777216] (got 1e+15)"},
    {"repetitions max", R"({"repetitions": 10000})", R"({"repetitions": 10001})",
     "repetitions: must be in [1, 10000] (got 10001)"},
    {"repetitions typo", R"({"repetitions": 10})", R"({"repetitions": 1e9})",
     "repetitions: must be in [1, 10000] (got 1000000000.0)"},
    {"warmup max", R"({"warmup": 10000})", R"({"warmup": 10001})", "warmup: must be in [0, 10000] (got 10001)"},
    {"timeout max", R"({"timeout_s": 604800})", R"({"timeout_s": 604801})",
     "timeout_s: must be in (0, 604800] (got 604801)"},
    {"timeout negative", R"({"timeout_s": 0.5})", R"({"timeout_s": -3})",
     "timeout_s: must be in (0, 604800] (got -3)"},
    {"memory budget max", R"({"memory_budget_gib": 1048576})", R"({"memory_budget_gib": 1048577})",
     "memory_budget_gib: must be in [0, 1048576] (got 1048577)"},
    {"sparsity", R"({"methods": [{"name": "local", "sparsity": 0}]})", R"({"methods": [{"name": "local", "sparsity": -0.1}]})",
     "methods[0].sparsity: must be in [0, 1) (got -0.1)"},
    {"parameter without a declared max", R"({"methods": [{"name": "specrange-count", "params": {"count": 16777216}}]})",
     R"({"methods": [{"name": "specrange-count", "params": {"count": 1e12}}]})",
     "methods[0].params.count: must be in [1, 16777216] (got 1000000000000)"},
    {"parameter without bounds", R"({"methods": [{"name": "specrange-count", "params": {"offset": -16777216}}]})",
     R"({"methods": [{"name": "specrange-count", "params": {"offset": -16777217}}]})",
     "methods[0].params.offset: must be in [-16777216, 16777216] (got -16777217)"},
    {"parameter beyond int64", R"({"methods": [{"name": "specrange-count", "params": {"count": 5}}]})",
     R"({"methods": [{"name": "specrange-count", "params": {"count": 18446744073709551615}}]})",
     "methods[0].params.count: must be in [1, 16777216] (got 1.8446744073709552e+19)"},
};

class SpecRanges : public ::testing::TestWithParam<Bound> {};

TEST_P(SpecRanges, InsideAcceptedOutsideNamesPathAndRange) {
  const Bound& b = GetParam();
  EXPECT_EQ(error_of_patch(b.inside), "") << b.what;
  const std::string msg = error_of_patch(b.outside);
  EXPECT_EQ(msg, "r.json: " + b.expected) << b.what;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

std::string bound_name(const ::testing::TestParamInfo<Bound>& info) {
  std::string name;
  for (const char* p = info.param.what; *p != '\0'; ++p) name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  return name + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Spec, SpecRanges, ::testing::ValuesIn(kBounds), bound_name);

// The CLI's --set goes through the same check as the spec's params.
TEST(ParamRanges, CliTextUsesTheSameBounds) {
  const attn::ParamSpec count{"count", attn::ParamType::integer, int64_t{4}, 1.0, std::nullopt, {}, ""};
  EXPECT_EQ(std::get<int64_t>(attn::parse_param_text(count, "16777216", "--set count")), 16777216);
  try {
    attn::parse_param_text(count, "1e12", "--set count");
    FAIL() << "1e12 accepted";
  } catch (const attn::UsageError& e) {
    EXPECT_STREQ(e.what(), "--set count: must be in [1, 16777216] (got 1000000000000)");
  }
}

// Long sweep lists multiply; the count is checked before any case is built.
TEST(SpecExpansionLimits, TooManyCasesIsOneLineBeforeBuilding) {
  json j = base_spec();
  json seeds = json::array(), ranks = json::array();
  for (int i = 0; i < 400; ++i) seeds.push_back(i);
  for (int i = 1; i <= 300; ++i) ranks.push_back(i);
  j["inputs"]["seeds"] = seeds;
  j["methods"][0]["rank"] = ranks;  // 400 inputs x 300 ranks = 120000 cases
  EXPECT_EQ(error_of(j), "r.json: the spec expands to 120000 cases (400 inputs x 300 method settings x 1 devices), "
                         "above the limit of 100000; split it or shorten its sweeps");
  j["methods"][0]["rank"] = json::array({1, 2});
  EXPECT_EQ(error_of(j), "");  // 800 cases
}

TEST(SpecExpansionLimits, InputAxesProductIsBoundedBeforeTheOdometerRuns) {
  // 4 distributions x six axes of 11 values: 7.1M combinations before duplicates (for each
  // distribution all but two axes collapse), which would take minutes to enumerate.
  json j = base_spec();
  json values = json::array();
  for (int i = 1; i <= 11; ++i) values.push_back(i);
  j["inputs"]["distribution"] = json::array({"gaussian", "clustered", "lowrank", "local"});
  for (const char* key : {"seq_len", "seeds", "clusters", "subspace_dim", "smoothing", "sinks"}) j["inputs"][key] = values;
  EXPECT_EQ(error_of(j), "r.json: inputs: the sweep axes multiply to 7086244 input combinations (at most 1000000); "
                         "split the spec");
}

// A spec names files it reads (q/k/v of distribution 'file') but never where results go: the
// report's default name comes from the spec's name, made safe. Run the real binary with a hostile
// name and no -o, in a fresh folder, and check every file it made is under results/.
TEST(SpecPaths, HostileNameCannotWriteOutsideResults) {
  if (!fs::exists(ATTNBENCH_BINARY)) GTEST_SKIP() << "the attnbench binary is not built in this build folder";
  const fs::path root = fs::temp_directory_path() / ("attnbench-paths-" + std::to_string(::getpid()));
  fs::remove_all(root);
  const fs::path work = root / "a" / "b";
  fs::create_directories(work);
  {
    std::ofstream(work / "spec.json") << R"({"name": "../../../escape/../x", "repetitions": 1, "warmup": 0,
      "inputs": {"seq_len": 8, "head_dim": 4}, "methods": [{"name": "exact"}]})";
  }
  const auto r = attn::test::run_shell("cd " + work.string() + " && " + ATTNBENCH_BINARY +
                                       " run spec.json -q --threads 1 --no-isolate");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().filename() == "spec.json") continue;
    ++files;
    EXPECT_EQ(e.path().parent_path(), work / "results") << e.path();
  }
  EXPECT_EQ(files, 2) << "the report and its JSONL";
  fs::remove_all(root);
}

}  // namespace
