// Spec parsing and expansion against test-only methods (registered below), so these tests do not
// move when the real methods change: case counts and ids, a JSON path in every error, skipped
// cases for shape-infeasible budgets, and the sha256 fingerprint.
#include <gtest/gtest.h>

#include <cctype>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "methods/registry.hpp"
#include "spec/default_spec.hpp"
#include "spec/spec.hpp"

namespace {

using nlohmann::json;

attn::MethodInfo test_method(std::string name, bool uses_rank, bool uses_sparsity) {
  attn::MethodInfo info;
  info.name = std::move(name);
  info.family = "test";
  info.summary = "spec-layer test method";
  info.uses_rank = uses_rank;
  info.uses_sparsity = uses_sparsity;
  info.flops = [](const attn::CaseShape&, const attn::ParamSet&) { return 0.0; };
  info.workspace_bytes = [](const attn::CaseShape&, const attn::ParamSet&, int) { return 0.0; };
  info.create = [](const attn::MethodConfig&) -> std::unique_ptr<attn::Method> { return nullptr; };
  info.apply_budget = [](const attn::Budget&, const attn::CaseShape&, const std::vector<std::string>&,
                         attn::ParamSet&, attn::Realized&) {};
  return info;
}

// rank -> num_features (unless explicit); infeasible above seq_len; every parameter type.
const attn::MethodRegistration kLowrank([] {
  auto info = test_method("spectest-lowrank", true, false);
  info.params = {
      {"eps", attn::ParamType::number, 1e-6, 0.0, std::nullopt, {}, "a number"},
      {"flag", attn::ParamType::boolean, false, std::nullopt, std::nullopt, {}, "a boolean"},
      {"mode", attn::ParamType::string, std::string("a"), std::nullopt, std::nullopt, {"a", "b"}, "a choice"},
      {"num_features", attn::ParamType::integer, int64_t{16}, 1.0, std::nullopt, {}, "the rank"},
  };
  info.apply_budget = [](const attn::Budget& b, const attn::CaseShape& shape, const std::vector<std::string>& explicit_params,
                         attn::ParamSet& p, attn::Realized& r) {
    const bool is_explicit = std::find(explicit_params.begin(), explicit_params.end(), "num_features") != explicit_params.end();
    if (b.rank && !is_explicit) p.set("num_features", *b.rank);
    r.rank = p.get_int("num_features");
    if (*r.rank > shape.seq_len)
      throw attn::UnsupportedError("num_features " + std::to_string(*r.rank) + " exceeds seq_len " + std::to_string(shape.seq_len));
    if (*r.rank > 1000) throw attn::UsageError("rank: at most 1000");
  };
  return info;
}());

const attn::MethodRegistration kSparse([] {
  auto info = test_method("spectest-sparse", false, true);
  info.params = {{"block", attn::ParamType::integer, int64_t{32}, 1.0, 1024.0, {}, "block size"}};
  info.apply_budget = [](const attn::Budget& b, const attn::CaseShape&, const std::vector<std::string>&, attn::ParamSet&,
                         attn::Realized& r) { r.density = 1.0 - b.sparsity.value_or(0.0); };
  return info;
}());

const attn::MethodRegistration kPlain(test_method("spectest-plain", false, false));

json base_spec() {
  return json::parse(R"({
    "name": "t",
    "inputs": {"seq_len": 64},
    "methods": [{"name": "spectest-plain"}]
  })");
}

// The UsageError message parse_spec gives, or "" when it accepts the spec.
std::string error_of(const json& j) {
  try {
    attn::parse_spec(j, "t.json");
  } catch (const attn::UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(SpecExpand, ProductOfInputsMethodsBudgetsParamsAndDevices) {
  const json j = json::parse(R"({
    "name": "sweep",
    "devices": ["cpu", "cuda"],
    "inputs": {"distribution": ["gaussian", "local"], "seq_len": [64, 128], "heads": 2, "seeds": [0, 1]},
    "methods": [
      {"name": "spectest-plain"},
      {"name": "spectest-lowrank", "rank": [8, 16], "params": {"mode": "b", "flag": true}},
      {"name": "spectest-sparse", "sparsity": [0.5, 0.9], "params": {"block": [16, 32]}}
    ]
  })");
  const attn::Spec spec = attn::parse_spec(j, "t.json");
  EXPECT_EQ(spec.name, "sweep");
  ASSERT_EQ(spec.cases.size(), 8u * 7u * 2u);  // 8 inputs x 7 method settings x 2 devices
  for (size_t i = 0; i < spec.cases.size(); ++i) {
    EXPECT_EQ(spec.cases[i].index, static_cast<int64_t>(i));
    EXPECT_FALSE(spec.cases[i].skip_reason) << spec.cases[i].id;
  }
  EXPECT_EQ(spec.cases[0].id, "spectest-plain/gaussian/N=64/d=64/B=1/H=2/fp32/seed=0/cpu");
  EXPECT_EQ(spec.cases[1].id, "spectest-plain/gaussian/N=64/d=64/B=1/H=2/fp32/seed=0/cuda");
  EXPECT_EQ(spec.cases[2].id, "spectest-lowrank/rank=8/flag=true/mode=b/gaussian/N=64/d=64/B=1/H=2/fp32/seed=0/cpu");
  EXPECT_EQ(spec.cases[6].id, "spectest-sparse/sparsity=0.5/block=16/gaussian/N=64/d=64/B=1/H=2/fp32/seed=0/cpu");
  EXPECT_EQ(spec.cases[8].id, "spectest-sparse/sparsity=0.5/block=32/gaussian/N=64/d=64/B=1/H=2/fp32/seed=0/cpu");
  EXPECT_EQ(spec.cases[14].id, "spectest-plain/gaussian/N=64/d=64/B=1/H=2/fp32/seed=1/cpu") << "seeds vary before methods";
  EXPECT_EQ(spec.cases.back().id, "spectest-sparse/sparsity=0.9/block=32/local/smooth=32/N=128/d=64/B=1/H=2/fp32/seed=1/cuda");

  const attn::Case& lr = spec.cases[4];  // rank 16
  EXPECT_EQ(lr.method, "spectest-lowrank");
  EXPECT_EQ(lr.info, attn::MethodRegistry::instance().find("spectest-lowrank"));
  EXPECT_EQ(lr.budget.rank, 16);
  EXPECT_EQ(lr.params.get_int("num_features"), 16);
  EXPECT_EQ(lr.params.get_string("mode"), "b");
  EXPECT_TRUE(lr.params.get_bool("flag"));
  EXPECT_DOUBLE_EQ(lr.params.get_double("eps"), 1e-6);
  EXPECT_EQ(lr.realized.rank, 16);
  ASSERT_EQ(lr.explicit_params.size(), 2u);
  EXPECT_EQ(lr.explicit_params[0].first, "flag");
  EXPECT_EQ(lr.input.heads, 2);
  EXPECT_EQ(lr.device, attn::Device::cpu);
  EXPECT_EQ(spec.cases[9].device, attn::Device::cuda);
  EXPECT_DOUBLE_EQ(*spec.cases[9].realized.density, 0.5);

  // Defaults of the top-level knobs.
  EXPECT_EQ(spec.repetitions, 10);
  EXPECT_EQ(spec.warmup, 1);
  EXPECT_DOUBLE_EQ(spec.timeout_s, 600);
  EXPECT_DOUBLE_EQ(spec.memory_budget_gib, 0);
  EXPECT_EQ(spec.attn_metrics_max_n, 2048);
  EXPECT_EQ(spec.devices, (std::vector<attn::Device>{attn::Device::cpu, attn::Device::cuda}));
}

TEST(SpecExpand, ScalarsAndTopLevelKnobs) {
  json j = base_spec();
  j["devices"] = "cpu";
  j["repetitions"] = 3;
  j["warmup"] = 0;
  j["timeout_s"] = 2.5;
  j["memory_budget_gib"] = 8;
  j["attn_metrics_max_n"] = 0;
  j["description"] = "d";
  j["inputs"] = json::parse(R"({"distribution": "clustered", "clusters": 4, "seq_len": 97, "head_dim": 40,
                                "batch": 2, "causal": true, "seed": 7, "temperature": 4, "dtype": "fp32"})");
  const attn::Spec spec = attn::parse_spec(j, "t.json");
  ASSERT_EQ(spec.cases.size(), 1u);
  EXPECT_EQ(spec.cases[0].id, "spectest-plain/clustered/clusters=4/N=97/d=40/B=2/H=1/fp32/seed=7/t=4/causal/cpu");
  EXPECT_EQ(spec.repetitions, 3);
  EXPECT_EQ(spec.warmup, 0);
  EXPECT_DOUBLE_EQ(spec.timeout_s, 2.5);
  EXPECT_DOUBLE_EQ(spec.memory_budget_gib, 8);
  EXPECT_EQ(spec.attn_metrics_max_n, 0);
}

TEST(SpecExpand, DistributionParametersDoNotMultiplyOtherDistributions) {
  json j = base_spec();
  j["inputs"] = json::parse(R"({"distribution": ["gaussian", "clustered"], "clusters": [4, 16], "seq_len": 64})");
  const attn::Spec spec = attn::parse_spec(j, "t.json");
  ASSERT_EQ(spec.cases.size(), 3u);
  EXPECT_EQ(spec.cases[0].input.id_fragment(), "gaussian/N=64/d=64/B=1/H=1/fp32/seed=0");
  EXPECT_EQ(spec.cases[1].input.clusters, 4);
  EXPECT_EQ(spec.cases[2].input.clusters, 16);
}

TEST(SpecExpand, ShapeInfeasibleBudgetBecomesASkippedCase) {
  json j = base_spec();
  j["inputs"]["seq_len"] = {64, 256};
  j["methods"] = json::parse(R"([{"name": "spectest-lowrank", "rank": [32, 128]}])");
  const attn::Spec spec = attn::parse_spec(j, "t.json");
  ASSERT_EQ(spec.cases.size(), 4u);
  EXPECT_FALSE(spec.cases[0].skip_reason);
  ASSERT_TRUE(spec.cases[1].skip_reason);
  EXPECT_EQ(*spec.cases[1].skip_reason, "num_features 128 exceeds seq_len 64");
  EXPECT_EQ(spec.cases[1].id, "spectest-lowrank/rank=128/gaussian/N=64/d=64/B=1/H=1/fp32/seed=0/cpu");
  EXPECT_TRUE(spec.cases[1].params.has("num_features")) << "skipped cases still carry every parameter";
  EXPECT_FALSE(spec.cases[1].realized.rank);
  EXPECT_FALSE(spec.cases[2].skip_reason);
  EXPECT_FALSE(spec.cases[3].skip_reason);
  EXPECT_EQ(spec.cases[3].realized.rank, 128);
}

TEST(SpecExpand, UsageErrorFromBudgetMappingNamesTheMethod) {
  json j = base_spec();
  j["inputs"]["seq_len"] = 4096;
  j["methods"] = json::parse(R"([{"name": "spectest-plain"}, {"name": "spectest-lowrank", "rank": 2000}])");
  EXPECT_EQ(error_of(j), "t.json: methods[1].rank: at most 1000 (at gaussian/N=4096/d=64/B=1/H=1/fp32/seed=0)");
}

TEST(SpecExpand, Fp16RunsOnCudaOnly) {
  json j = base_spec();
  j["inputs"]["dtype"] = {"fp32", "fp16"};
  EXPECT_EQ(error_of(j), "t.json: inputs.dtype[1]: 'fp16' needs device cuda (the cpu backend runs fp32 only)");
  j["devices"] = {"cpu", "cuda"};
  const attn::Spec spec = attn::parse_spec(j, "t.json");
  ASSERT_EQ(spec.cases.size(), 4u);
  EXPECT_FALSE(spec.cases[0].skip_reason);
  EXPECT_FALSE(spec.cases[1].skip_reason);
  ASSERT_TRUE(spec.cases[2].skip_reason) << spec.cases[2].id;
  EXPECT_NE(spec.cases[2].skip_reason->find("fp32 only"), std::string::npos);
  EXPECT_FALSE(spec.cases[3].skip_reason) << spec.cases[3].id;
  j["inputs"]["dtype"] = "fp64";
  EXPECT_NE(error_of(j).find("inputs.dtype: 'fp64' is not a run precision"), std::string::npos);
  j["inputs"]["dtype"] = "int8";
  EXPECT_EQ(error_of(j), "t.json: inputs.dtype: unknown dtype 'int8' (expected fp32, fp64, fp16 or bf16)");
}

// Each mutation of a valid spec and the exact error it must produce.
struct BadSpec {
  const char* what;
  const char* json_patch;  // merged into base_spec()
  const char* expected;    // full message after "t.json: "
};

class SpecErrors : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SpecErrors, NamesTheJsonPath) {
  json j = base_spec();
  j.merge_patch(json::parse(GetParam().json_patch));
  EXPECT_EQ(error_of(j), std::string("t.json: ") + GetParam().expected) << GetParam().what;
}

const BadSpec kBadSpecs[] = {
    {"unknown top-level key", R"({"reps": 3})",
     "reps: unknown key (known keys: name, description, devices, inputs, methods, repetitions, warmup, timeout_s, "
     "memory_budget_gib, attn_metrics_max_n)"},
    {"unknown inputs key", R"({"inputs": {"seqlen": 3}})", "inputs.seqlen: unknown key (known keys: distribution, seq_len, "
     "head_dim, batch, heads, causal, dtype, seeds, seed, temperature, clusters, subspace_dim, smoothing, q, k, v, "
     "source, layers, sinks, unit_norm)"},
    {"unknown method key", R"({"methods": [{"name": "spectest-plain", "ranks": 3}]})",
     "methods[0].ranks: unknown key (known keys: name, rank, sparsity, params)"},
    {"unknown parameter", R"({"methods": [{"name": "spectest-plain"}, {"name": "spectest-lowrank", "params": {"bogus": 1}}]})",
     "methods[1].params.bogus: unknown parameter 'bogus' for method 'spectest-lowrank' (allowed: eps, flag, mode, num_features)"},
    {"parameter of a method without parameters", R"({"methods": [{"name": "spectest-plain", "params": {"x": 1}}]})",
     "methods[0].params.x: unknown parameter 'x' for method 'spectest-plain' (it has no parameters)"},
    {"rank as a string", R"({"methods": [{"name": "spectest-lowrank", "rank": "64"}]})",
     "methods[0].rank: must be an integer (got \"64\")"},
    {"rank zero in a sweep", R"({"methods": [{"name": "spectest-lowrank", "rank": [8, 0]}]})",
     "methods[0].rank[1]: must be in [1, 16777216] (got 0)"},
    {"fractional rank", R"({"methods": [{"name": "spectest-lowrank", "rank": 8.5}]})",
     "methods[0].rank: must be an integer (got 8.5)"},
    {"negative N", R"({"inputs": {"seq_len": -5}})", "inputs.seq_len: must be in [1, 16777216] (got -5)"},
    {"zero N in a sweep", R"({"inputs": {"seq_len": [64, 0]}})", "inputs.seq_len[1]: must be in [1, 16777216] (got 0)"},
    {"empty sweep", R"({"inputs": {"seq_len": []}})", "inputs.seq_len: empty sweep"},
    {"empty parameter sweep", R"({"methods": [{"name": "spectest-lowrank", "params": {"num_features": []}}]})",
     "methods[0].params.num_features: empty sweep"},
    {"sparsity 1.5", R"({"methods": [{"name": "spectest-sparse", "sparsity": 1.5}]})",
     "methods[0].sparsity: must be in [0, 1) (got 1.5)"},
    {"sparsity 1 in a sweep", R"({"methods": [{"name": "spectest-sparse", "sparsity": [0.5, 1]}]})",
     "methods[0].sparsity[1]: must be in [0, 1) (got 1)"},
    {"rank on a method without rank", R"({"methods": [{"name": "spectest-plain", "rank": 8}]})",
     "methods[0].rank: method 'spectest-plain' has no rank knob"},
    {"sparsity on a rank method", R"({"methods": [{"name": "spectest-lowrank", "sparsity": 0.5}]})",
     "methods[0].sparsity: method 'spectest-lowrank' has no sparsity knob"},
    {"parameter out of range", R"({"methods": [{"name": "spectest-sparse", "params": {"block": [16, 4096]}}]})",
     "methods[0].params.block[1]: must be in [1, 1024] (got 4096)"},
    {"boolean parameter as text", R"({"methods": [{"name": "spectest-lowrank", "params": {"flag": "yes"}}]})",
     "methods[0].params.flag: must be true or false (got \"yes\")"},
    {"string parameter outside its choices", R"({"methods": [{"name": "spectest-lowrank", "params": {"mode": ["a", "c"]}}]})",
     "methods[0].params.mode[1]: must be one of a, b (got 'c')"},
    {"params not an object", R"({"methods": [{"name": "spectest-lowrank", "params": [1]}]})",
     "methods[0].params: must be an object (got [1])"},
    {"method without name", R"({"methods": [{"rank": 3}]})", "methods[0].name: required"},
    {"empty method list", R"({"methods": []})", "methods: must be a non-empty list (got [])"},
    {"method entry not an object", R"({"methods": ["spectest-plain"]})", "methods[0]: must be an object (got \"spectest-plain\")"},
    {"duplicate case", R"({"methods": [{"name": "spectest-plain"}, {"name": "spectest-plain"}]})",
     "methods[1]: duplicate case id 'spectest-plain/gaussian/N=64/d=64/B=1/H=1/fp32/seed=0/cpu' (also produced by methods[0])"},
    {"missing seq_len", R"({"inputs": {"seq_len": null, "heads": 2}})", "inputs.seq_len: required"},
    {"missing inputs", R"({"inputs": null})", "inputs: required"},
    {"missing name", R"({"name": null})", "name: required"},
    {"name not a string", R"({"name": 3})", "name: must be a string (got 3)"},
    {"unknown distribution", R"({"inputs": {"distribution": ["gaussian", "uniform"]}})",
     "inputs.distribution[1]: unknown distribution 'uniform' (known: gaussian, clustered, local, lowrank, rope, file, real)"},
    {"parameter of an absent distribution", R"({"inputs": {"clusters": 8}})",
     "inputs.clusters: only used by distribution 'clustered', which is not in inputs.distribution"},
    {"file without paths", R"({"inputs": {"distribution": "file", "q": "q.npy"}})",
     "inputs.k: required when distribution is 'file'"},
    {"seed and seeds", R"({"inputs": {"seed": 1, "seeds": [1, 2]}})", "inputs.seed: give either seed or seeds, not both"},
    {"negative seed", R"({"inputs": {"seeds": [0, -1]}})", "inputs.seeds[1]: must be in [0, 9007199254740991] (got -1)"},
    {"zero temperature", R"({"inputs": {"temperature": [1, 0]}})", "inputs.temperature[1]: must be in (0, 1000000] (got 0)"},
    {"causal as a number", R"({"inputs": {"causal": 1}})", "inputs.causal: must be true or false (got 1)"},
    {"unknown device", R"({"devices": ["cpu", "tpu"]})", "devices[1]: unknown device 'tpu' (expected cpu or cuda)"},
    {"no devices", R"({"devices": []})", "devices: must list at least one device"},
    {"device twice", R"({"devices": ["cpu", "cpu"]})", "devices[1]: device 'cpu' listed twice"},
    {"zero repetitions", R"({"repetitions": 0})", "repetitions: must be in [1, 10000] (got 0)"},
    {"repetitions swept", R"({"repetitions": [1, 2]})", "repetitions: must be an integer (got [1,2])"},
    {"negative warmup", R"({"warmup": -1})", "warmup: must be in [0, 10000] (got -1)"},
    {"zero timeout", R"({"timeout_s": 0})", "timeout_s: must be in (0, 604800] (got 0)"},
    {"negative memory budget", R"({"memory_budget_gib": -1})", "memory_budget_gib: must be in [0, 1048576] (got -1)"},
    {"huge probe limit", R"({"attn_metrics_max_n": 100000})", "attn_metrics_max_n: must be in [0, 16384] (got 100000)"},
};

// Test names from the description ("unknown top-level key" -> unknown_top_level_key), so a failure
// says which bad spec it was.
std::string bad_spec_name(const ::testing::TestParamInfo<BadSpec>& info) {
  std::string name;
  for (const char* p = info.param.what; *p != '\0'; ++p)
    name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  return name + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Spec, SpecErrors, ::testing::ValuesIn(kBadSpecs), bad_spec_name);

TEST(SpecErrorsExtra, UnknownMethodListsTheKnownOnes) {
  json j = base_spec();
  j["methods"] = json::parse(R"([{"name": "spectest-plain"}, {"name": "nope"}])");
  const std::string msg = error_of(j);
  EXPECT_EQ(msg.rfind("t.json: methods[1].name: unknown method 'nope' (known: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("spectest-lowrank"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(SpecErrorsExtra, NotAnObject) {
  EXPECT_EQ(error_of(json::array()), "t.json: the spec must be a JSON object (got array)");
}

TEST(SpecSha256, KnownVectors) {
  EXPECT_EQ(attn::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(attn::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(attn::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(SpecSha256, FingerprintIgnoresKeyOrderButNotContent) {
  const attn::Spec a = attn::parse_spec_text(R"({"name": "t", "inputs": {"seq_len": 64}, "methods": [{"name": "spectest-plain"}]})", "a");
  const attn::Spec b = attn::parse_spec_text(R"({"methods": [{"name": "spectest-plain"}], "inputs": {"seq_len": 64}, "name": "t"})", "b");
  const attn::Spec c = attn::parse_spec_text(R"({"name": "t", "inputs": {"seq_len": 65}, "methods": [{"name": "spectest-plain"}]})", "c");
  EXPECT_EQ(a.sha256, attn::sha256_hex(a.raw.dump()));
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_NE(a.sha256, c.sha256);
  EXPECT_FALSE(a.raw.contains("repetitions")) << "raw is the spec as given, without defaults";
}

TEST(SpecText, InvalidJsonGivesLineAndColumn) {
  try {
    attn::parse_spec_text("{\n  \"name\": \"x\",\n  oops\n}", "bench_specs/x.json");
    FAIL();
  } catch (const attn::UsageError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("bench_specs/x.json: invalid JSON at line 3 column 3: ", 0), 0u) << msg;
    EXPECT_EQ(msg.find("[json.exception"), std::string::npos) << msg;
  }
  try {
    attn::parse_spec_text("{\"name\": \"x\",}", "s");
    FAIL() << "trailing commas are not JSON";
  } catch (const attn::UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("s: invalid JSON at line 1 column 14: ", 0), 0u) << e.what();
  }
  EXPECT_THROW(attn::parse_spec_text("", "s"), attn::UsageError);
}

// Found by fuzzing (tests/fuzz/corpus/spec/crash-number-overflow.json): a number beyond the range of a
// double made nlohmann throw out_of_range, which escaped parse_spec_text as an internal error (exit 1).
TEST(SpecText, NumberOverflowIsAUsageError) {
  try {
    attn::parse_spec_text(R"({"name": "x", "repetitions": 1e1010})", "s.json");
    FAIL();
  } catch (const attn::UsageError& e) {
    EXPECT_STREQ(e.what(), "s.json: invalid JSON: number overflow parsing '1e1010'");
  }
}

// Deep nesting overflowed the stack (nlohmann copies and dumps recursively): a crash, not an error.
// It is now refused before parsing; 64 levels pass the check (and then fail as a spec would).
TEST(SpecText, DeepNestingIsRefusedBeforeParsing) {
  const auto nested = [](int depth) {
    return R"({"name": "x", "description": )" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  try {
    attn::parse_spec_text(nested(200000), "s.json");
    FAIL();
  } catch (const attn::UsageError& e) {
    EXPECT_STREQ(e.what(), "s.json: JSON nested deeper than 64 levels (a spec needs 4)");
  }
  try {
    attn::parse_spec_text(nested(63), "s.json");  // 63 + the top-level object = 64
    FAIL();
  } catch (const attn::UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "s.json: description: must be a string (got " + std::string(63, '[') + std::string(63, ']') + ")");
  }
  try {
    attn::parse_spec_text(nested(64), "s.json");
    FAIL();
  } catch (const attn::UsageError& e) {
    EXPECT_STREQ(e.what(), "s.json: JSON nested deeper than 64 levels (a spec needs 4)");
  }
  // Brackets inside strings do not count.
  EXPECT_NO_THROW(attn::parse_spec_text(R"({"name": "[[[[)" + std::string(100, '[') +
                                            R"(", "inputs": {"seq_len": 64}, "methods": [{"name": "spectest-plain"}]})",
                                        "s.json"));
}

// Found by fuzzing (tests/fuzz/corpus/spec/crash-newline-in-key.json): a key or value with a control
// character was quoted raw into the message, which then spanned two lines.
TEST(SpecText, ErrorsStayOneLineWhateverTheKeys) {
  try {
    attn::parse_spec_text(R"({"name": "x", "inputs": {"seq_len": 64}, "methods": [{"name": "spectest-plain", "r\nk": 1}]})",
                          "s.json");
    FAIL();
  } catch (const attn::UsageError& e) {
    EXPECT_STREQ(e.what(), "s.json: methods[0].r\\nk: unknown key (known keys: name, rank, sparsity, params)");
  }
  try {
    attn::parse_spec_text(R"({"name": "x", "inputs": {"seq_len": 64}, "methods": [{"name": "a\tb\u0001"}]})", "s.json");
    FAIL();
  } catch (const attn::UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("s.json: methods[0].name: unknown method 'a\\tb\\x01' (known: ", 0), 0u) << e.what();
  }
}

TEST(SpecFile, LoadsAndReportsUnreadableFiles) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "attn_spec_file_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string good = (dir / "good.json").string();
  std::ofstream(good) << base_spec().dump(2);
  const attn::Spec spec = attn::load_spec_file(good);
  EXPECT_EQ(spec.cases.size(), 1u);

  const std::string bad = (dir / "bad.json").string();
  std::ofstream(bad) << R"({"name": "t", "inputs": {"seq_len": 0}, "methods": [{"name": "spectest-plain"}]})";
  try {
    attn::load_spec_file(bad);
    FAIL();
  } catch (const attn::UsageError& e) {
    EXPECT_EQ(std::string(e.what()), bad + ": inputs.seq_len: must be in [1, 16777216] (got 0)");
  }
  for (const std::string missing : {(dir / "missing.json").string(), dir.string()}) {
    try {
      attn::load_spec_file(missing);
      FAIL() << missing;
    } catch (const attn::UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(missing + ": cannot read", 0), 0u) << e.what();
    }
  }
  fs::remove_all(dir);
}

TEST(SpecDefault, BuiltInDefaultIsValid) {
  // Depends on the real methods it names; a failure here means `attnbench run` with no spec fails.
  const attn::Spec spec = attn::parse_spec_text(attn::default_spec_text(), "built-in default spec");
  EXPECT_FALSE(spec.cases.empty());
  EXPECT_EQ(spec.name, "default");
}

}  // namespace
