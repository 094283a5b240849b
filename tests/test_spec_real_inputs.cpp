// Distribution "real" in specs: source/layers/heads select exactly the requested captured tensors
// (one input group per layer and head group), the shape comes from the set, seq_len is a prefix
// never longer than captured, every bad selection or damaged file stops the spec with a message
// naming the JSON path or the file, and the shipped files match the SHA-256 their manifest records.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "inputs/real_inputs.hpp"
#include "spec/spec.hpp"
#include "support/real_data.hpp"

namespace {

using attn::test::DataDirEnv;
using attn::test::ScratchData;

// A spec with the given "inputs" object and one deterministic method.
std::string spec_text(const std::string& inputs) {
  return R"({"name": "t", "inputs": )" + inputs + R"(, "methods": [{"name": "exact"}]})";
}

std::vector<attn::InputSpec> inputs_of(const std::string& inputs) {
  const attn::Spec spec = attn::parse_spec_text(spec_text(inputs), "t.json");
  std::vector<attn::InputSpec> out;
  std::set<std::string> seen;
  for (const auto& c : spec.cases)
    if (seen.insert(c.input.group_key()).second) out.push_back(c.input);
  return out;
}

std::string usage_error(const std::string& inputs) {
  try {
    attn::parse_spec_text(spec_text(inputs), "t.json");
  } catch (const attn::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

class SpecReal : public ::testing::Test {
 protected:
  DataDirEnv env_{attn::test::shipped_data_dir()};
};

TEST_F(SpecReal, SelectsExactlyTheRequestedLayersAndHeads) {
  const auto in = inputs_of(R"({"distribution": "real", "source": "minilm-l6", "layers": [0, 5], "heads": "all"})");
  ASSERT_EQ(in.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(in[i].distribution, "real");
    EXPECT_EQ(in[i].source, "minilm-l6");
    EXPECT_EQ(in[i].layer, i == 0 ? 0 : 5);
    EXPECT_EQ(in[i].head_indices, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
    EXPECT_EQ(in[i].shape(), (attn::Shape{1, 12, 512, 32}));  // seq_len omitted: the captured length
  }
}

TEST_F(SpecReal, HeadSelectionForms) {
  // "each": one case per head; an index: that head; a list: a sweep; a list in the list: packed.
  auto each = inputs_of(R"({"distribution": "real", "source": "minilm-l6", "layers": 2, "heads": "each", "seq_len": 64})");
  ASSERT_EQ(each.size(), 12u);
  for (int64_t h = 0; h < 12; ++h) {
    EXPECT_EQ(each[h].head_indices, std::vector<int64_t>{h});
    EXPECT_EQ(each[h].heads, 1);
    EXPECT_EQ(each[h].layer, 2);
  }
  auto mixed = inputs_of(R"({"distribution": "real", "source": "minilm-l6", "layers": 1, "heads": [3, [8, 0]]})");
  ASSERT_EQ(mixed.size(), 2u);
  EXPECT_EQ(mixed[0].head_indices, std::vector<int64_t>{3});
  EXPECT_EQ(mixed[1].head_indices, (std::vector<int64_t>{8, 0}));
  EXPECT_EQ(mixed[1].heads, 2);
  auto all_layers = inputs_of(R"({"distribution": "real", "source": "minilm-l6", "seq_len": [128, 512]})");
  ASSERT_EQ(all_layers.size(), 12u);  // default layers "all" x default heads "all" x two prefixes
  std::set<int64_t> layers;
  for (const auto& s : all_layers) layers.insert(s.layer);
  EXPECT_EQ(layers, (std::set<int64_t>{0, 1, 2, 3, 4, 5}));
}

TEST_F(SpecReal, CaseIdsCarryTheSelection) {
  const attn::Spec spec = attn::parse_spec_text(
      spec_text(R"({"distribution": "real", "source": "minilm-l6", "layers": 4, "heads": [[9, 10]], "seq_len": 200})"),
      "t.json");
  ASSERT_EQ(spec.cases.size(), 1u);
  EXPECT_EQ(spec.cases[0].id, "exact/real/src=minilm-l6/layer=4/heads=9-10/N=200/d=32/B=1/H=2/fp32/seed=0/cpu");
}

TEST_F(SpecReal, MixedWithSyntheticDistributions) {
  // Without "heads", synthetic inputs keep their defaults and 'real' takes all captured heads.
  const auto in = inputs_of(R"({"distribution": ["gaussian", "real"], "source": "minilm-l6", "layers": 0,
                                "seq_len": 256, "head_dim": 32})");
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].shape(), (attn::Shape{1, 1, 256, 32}));
  EXPECT_EQ(in[1].shape(), (attn::Shape{1, 12, 256, 32}));
}

TEST_F(SpecReal, LongerSeqLenThanCapturedFails) {
  const std::string msg = usage_error(R"({"distribution": "real", "source": "minilm-l6", "seq_len": [512, 1024]})");
  EXPECT_NE(msg.find("t.json: inputs: seq_len 1024 is longer than the 512 tokens captured in source 'minilm-l6'"),
            std::string::npos) << msg;
}

struct BadReal {
  const char* name;
  const char* inputs;
  const char* expected;  // a substring of the one-line message
};

class SpecRealErrors : public SpecReal, public ::testing::WithParamInterface<BadReal> {};

TEST_P(SpecRealErrors, NamesThePath) {
  const std::string msg = usage_error(GetParam().inputs);
  EXPECT_NE(msg.find(GetParam().expected), std::string::npos) << msg;
}

const BadReal kBad[] = {
    {"NoSource", R"({"distribution": "real", "layers": 0})", "inputs.source: required when distribution is 'real'"},
    {"SourceNotShipped", R"({"distribution": "real", "source": "bert-base"})",
     "inputs.source: source 'bert-base' is not shipped: no "},
    {"SourceListed", R"({"distribution": "real", "source": ["minilm-l6", "nope"]})", "inputs.source[1]: source 'nope'"},
    {"LayerNotCaptured", R"({"distribution": "real", "source": "minilm-l6", "layers": [0, 9]})",
     "inputs.layers[1]: layer 9 is not captured in source 'minilm-l6' (captured layers: 0, 1, 2, 3, 4, 5)"},
    {"LayerWord", R"({"distribution": "real", "source": "minilm-l6", "layers": "first"})", "inputs.layers: expected a layer index"},
    {"HeadOutOfRange", R"({"distribution": "real", "source": "minilm-l6", "heads": [1, 12]})",
     "inputs.heads[1]: head 12 does not exist in source 'minilm-l6' (heads 0..11)"},
    {"HeadWord", R"({"distribution": "real", "source": "minilm-l6", "heads": "some"})", "inputs.heads: expected \"all\", \"each\""},
    {"HeadTwice", R"({"distribution": "real", "source": "minilm-l6", "heads": [[2, 2]]})", "inputs.heads[0]: a head is listed twice"},
    {"EmptyGroup", R"({"distribution": "real", "source": "minilm-l6", "heads": [[]]})", "inputs.heads[0]: an empty list"},
    {"HeadDimGiven", R"({"distribution": "real", "source": "minilm-l6", "head_dim": 64})",
     "inputs.head_dim: distribution 'real' takes it from the captured set"},
    {"BatchGiven", R"({"distribution": "real", "source": "minilm-l6", "batch": 2})", "inputs.batch: distribution 'real'"},
    {"HeadsAmbiguousWhenMixed", R"({"distribution": ["real", "gaussian"], "source": "minilm-l6", "seq_len": 64, "heads": 4})",
     "inputs.heads: ambiguous"},
    {"SourceWithoutReal", R"({"distribution": "gaussian", "seq_len": 64, "source": "minilm-l6"})",
     "inputs.source: only used by distribution 'real'"},
    {"LayersWithoutReal", R"({"distribution": "gaussian", "seq_len": 64, "layers": 0})", "inputs.layers: only used by distribution 'real'"},
    {"SeqLenStillRequiredForSynthetic", R"({"distribution": ["real", "gaussian"], "source": "minilm-l6"})",
     "inputs.seq_len: required"},
};

INSTANTIATE_TEST_SUITE_P(Spec, SpecRealErrors, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

// The shipped bytes are the captured bytes: every file's SHA-256 is the one its manifest records.
TEST_F(SpecReal, ShippedFilesMatchTheirRecordedHashes) {
  const attn::RealSource src = attn::load_real_source(attn::test::kRealSource);
  for (const auto& layer : src.layers)
    for (const attn::RealFile* f : {&layer.q, &layer.k, &layer.v}) {
      std::ifstream in(f->path, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      EXPECT_EQ(attn::sha256_hex(bytes.str()), f->sha256) << f->path;
    }
}

TEST(SpecRealBadData, CorruptFileStopsTheSpecNamingIt) {
  ScratchData data;
  {
    // Flip one byte of the payload: the header (and so the shape) stays valid.
    std::fstream f(data.file("L3_k.npy"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(5000);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x10);
    f.seekp(5000);
    f.write(&c, 1);
  }
  const std::string msg = usage_error(R"({"distribution": "real", "source": "minilm-l6", "layers": [3]})");
  EXPECT_NE(msg.find("L3_k.npy: SHA-256"), std::string::npos) << msg;
  EXPECT_NE(msg.find("manifest.json"), std::string::npos) << msg;
  // Only the selected layers are read: another layer still parses.
  EXPECT_EQ(usage_error(R"({"distribution": "real", "source": "minilm-l6", "layers": [2]})"), "(no error)");
}

}  // namespace
