// Distribution "real": the shipped manifest and files load with their recorded shapes, a spec's
// layer/heads/prefix select exactly those values of the .npy files, a longer seq_len than captured
// is a clear error, and damaged data (missing, truncated, mis-shaped, mis-described) is a
// UsageError naming the file. SHA-256 checks are in test_spec_real_inputs.cpp (the spec layer).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "inputs/distributions.hpp"
#include "inputs/npy.hpp"
#include "inputs/real_inputs.hpp"
#include "support/real_data.hpp"

namespace {

using attn::InputSpec;
using attn::UsageError;
using attn::test::DataDirEnv;
using attn::test::kRealSource;
using attn::test::ScratchData;

InputSpec real_spec(int64_t layer, std::vector<int64_t> heads, int64_t seq_len = 0) {
  InputSpec s;
  s.distribution = "real";
  s.source = kRealSource;
  s.layer = layer;
  s.head_indices = std::move(heads);
  s.seq_len = seq_len;
  return s;
}

InputSpec resolved(InputSpec s) {
  attn::resolve_real_input(s, attn::load_real_source(s.source));
  return s;
}

// Message check: the error names all of `parts`.
template <class F>
void expect_usage_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

class RealInputs : public ::testing::Test {
 protected:
  DataDirEnv env_{attn::test::shipped_data_dir()};
};

TEST_F(RealInputs, DataDirComesFromTheEnvironment) {
  EXPECT_EQ(attn::real_data_dir(), attn::test::shipped_data_dir());
  const auto names = attn::real_source_names();
  EXPECT_NE(std::find(names.begin(), names.end(), kRealSource), names.end());
}

TEST_F(RealInputs, ManifestFields) {
  const attn::RealSource src = attn::load_real_source(kRealSource);
  EXPECT_EQ(src.model, "sentence-transformers/all-MiniLM-L6-v2");
  EXPECT_NE(src.weights_licence.find("Apache-2.0"), std::string::npos);
  EXPECT_EQ(src.seq_len, 512);
  EXPECT_EQ(src.batch, 1);
  EXPECT_EQ(src.heads, 12);
  EXPECT_EQ(src.head_dim, 32);
  ASSERT_EQ(src.layers.size(), 6u);
  for (int64_t l = 0; l < 6; ++l) ASSERT_NE(src.find_layer(l), nullptr) << "layer " << l;

  // What the capture tool records for people: the tokens, the text and its licence.
  std::ifstream in(src.manifest_path);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["schema"], "attnbench.capture/1");
  EXPECT_EQ(j["dtype"], "float16");
  ASSERT_EQ(j["tokens"].size(), 512u);
  EXPECT_EQ(j["tokens"].front(), "[CLS]");
  EXPECT_EQ(j["tokens"].back(), "[SEP]");
  EXPECT_EQ(j["token_ids"].size(), 512u);
  EXPECT_NE(j["text"]["licence"].get<std::string>().find("public domain"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_regular_file(attn::real_data_dir() + "/" + j["text"]["path"].get<std::string>()));
  // The capture verified itself: attention recomputed from the fp16 files is within fp16 rounding
  // of the model's own attention output, so the shipped tensors are what the model's dot product saw.
  EXPECT_LT(j["capture"]["max_rel_error_fp32"].get<double>(), 1e-5);
  EXPECT_LT(j["capture"]["max_rel_error_fp16"].get<double>(), 2e-3);
  for (const auto& layer : j["layers"]) ASSERT_EQ(layer["heads"].size(), 12u);
}

TEST_F(RealInputs, FilesHaveTheirRecordedShapes) {
  const attn::RealSource src = attn::load_real_source(kRealSource);
  for (const auto& layer : src.layers)
    for (const attn::RealFile* f : {&layer.q, &layer.k, &layer.v}) {
      const attn::NpyArray a = attn::read_npy(f->path);
      EXPECT_EQ(a.shape, f->shape) << f->path;
      double sum_sq = 0;
      for (float x : a.data) {
        ASSERT_TRUE(std::isfinite(x)) << f->path;
        sum_sq += double(x) * x;
      }
      EXPECT_GT(sum_sq, 0) << f->path;
    }
}

TEST_F(RealInputs, ResolveTakesTheShapeFromTheSet) {
  const InputSpec s = resolved(real_spec(3, {4, 1, 9}));
  EXPECT_EQ(s.seq_len, 512);  // 0: the captured length
  EXPECT_EQ(s.batch, 1);
  EXPECT_EQ(s.heads, 3);
  EXPECT_EQ(s.head_dim, 32);
  EXPECT_EQ(resolved(real_spec(3, {0}, 97)).seq_len, 97);
}

// The selection is exactly the requested layer, heads (in the requested order) and token prefix of
// the .npy files, read here with nothing but read_npy and index arithmetic.
TEST_F(RealInputs, SelectsExactlyTheRequestedHeadsAndPrefix) {
  const attn::RealSource src = attn::load_real_source(kRealSource);
  struct Case {
    int64_t layer;
    std::vector<int64_t> heads;
    int64_t n;
  };
  for (const Case& c : {Case{5, {7, 2}, 100}, Case{0, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 512}, Case{2, {11}, 1}}) {
    const InputSpec s = resolved(real_spec(c.layer, c.heads, c.n));
    const attn::InputTensors t = attn::make_inputs(s);
    ASSERT_EQ(t.shape, (attn::Shape{1, static_cast<int64_t>(c.heads.size()), c.n, 32}));
    const attn::RealLayer& layer = *src.find_layer(c.layer);
    const std::pair<const attn::RealFile*, const std::vector<float>*> operands[] = {
        {&layer.q, &t.q}, {&layer.k, &t.k}, {&layer.v, &t.v}};
    for (const auto& [file, got] : operands) {
      const attn::NpyArray a = attn::read_npy(file->path);
      for (size_t h = 0; h < c.heads.size(); ++h)
        for (int64_t i = 0; i < c.n; ++i)
          for (int64_t j = 0; j < 32; ++j)
            ASSERT_EQ((*got)[(h * c.n + i) * 32 + j], a.data[(c.heads[h] * 512 + i) * 32 + j])
                << file->path << " head " << c.heads[h] << " token " << i << " dim " << j;
    }
  }
}

TEST_F(RealInputs, TemperatureScalesQueriesAndKeysOnly) {
  InputSpec s = resolved(real_spec(1, {3}, 64));
  const attn::InputTensors base = attn::make_inputs(s);
  s.temperature = 4.0;
  const attn::InputTensors hot = attn::make_inputs(s);
  for (size_t i = 0; i < base.q.size(); ++i) {
    ASSERT_EQ(hot.q[i], 2.0f * base.q[i]);
    ASSERT_EQ(hot.k[i], 2.0f * base.k[i]);
    ASSERT_EQ(hot.v[i], base.v[i]);
  }
}

TEST_F(RealInputs, LongerThanCapturedIsAClearError) {
  expect_usage_error([] { resolved(real_spec(0, {0}, 513)); }, {"seq_len 513", "512 tokens", "minilm-l6", "prefix"});
}

TEST_F(RealInputs, BadSelectionsAreClearErrors) {
  expect_usage_error([] { resolved(real_spec(6, {0})); }, {"layer 6", "captured layers: 0, 1, 2, 3, 4, 5"});
  expect_usage_error([] { resolved(real_spec(0, {12})); }, {"head 12", "0..11"});
  expect_usage_error([] { resolved(real_spec(0, {3, 3})); }, {"head 3 selected twice"});
  expect_usage_error([] { resolved(real_spec(0, {})); }, {"no heads"});
  // A case whose shape disagrees with its selection (e.g. an edited report) is refused, not cropped.
  InputSpec s = resolved(real_spec(0, {0, 1}));
  s.heads = 3;
  expect_usage_error([&] { attn::make_inputs(s); }, {"does not match"});
}

TEST_F(RealInputs, SourceThatIsNotShippedNamesTheFolder) {
  expect_usage_error([] { attn::load_real_source("bert-base"); },
                     {"'bert-base' is not shipped", "bert-base/manifest.json", "available: minilm-l6", "ATTNBENCH_DATA_DIR"});
  expect_usage_error([] { attn::load_real_source("../minilm-l6"); }, {"expected a folder name"});
}

TEST_F(RealInputs, CaseIdAndJsonRecordTheSelection) {
  const InputSpec s = resolved(real_spec(5, {7, 2, 3}, 256));
  EXPECT_EQ(s.id_fragment(), "real/src=minilm-l6/layer=5/heads=7+2-3/N=256/d=32/B=1/H=3/fp32/seed=0");
  EXPECT_EQ(resolved(real_spec(0, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})).id_fragment().substr(0, 37),
            "real/src=minilm-l6/layer=0/heads=0-11");
  const auto j = s.to_json();
  EXPECT_EQ(j["source"], "minilm-l6");
  EXPECT_EQ(j["layer"], 5);
  EXPECT_EQ(j["head_indices"], nlohmann::json::array({7, 2, 3}));
}

// --- damaged data: one UsageError naming the file ---------------------------------------------

TEST(RealInputsBadData, MissingFileNamesIt) {
  ScratchData data;
  std::filesystem::remove(data.file("L2_k.npy"));
  expect_usage_error([] { attn::load_real_source(kRealSource); }, {"L2_k.npy: missing", "manifest.json"});
}

TEST(RealInputsBadData, TruncatedFileNamesIt) {
  ScratchData data;
  std::filesystem::resize_file(data.file("L1_v.npy"), 1000);
  expect_usage_error([] { attn::make_inputs(resolved(real_spec(1, {0}))); }, {"L1_v.npy"});
}

TEST(RealInputsBadData, FileWithAnotherShapeThanRecordedNamesIt) {
  ScratchData data;
  const std::vector<float> small(1 * 12 * 512 * 16, 0.5f);
  attn::write_npy(data.file("L4_q.npy"), small.data(), {1, 12, 512, 16});
  expect_usage_error([] { attn::make_inputs(resolved(real_spec(4, {0}))); },
                     {"L4_q.npy", "[1, 12, 512, 16]", "[1, 12, 512, 32]", "manifest.json"});
}

TEST(RealInputsBadData, ManifestThatDoesNotMatchItsFiles) {
  ScratchData data;
  auto j = data.manifest();
  j["seq_len"] = 1024;  // the files say 512
  data.write_manifest(j);
  expect_usage_error([] { attn::load_real_source(kRealSource); },
                     {"manifest.json", "layers[0].files.q.shape", "does not match"});
}

TEST(RealInputsBadData, ManifestErrorsNameTheField) {
  ScratchData data;
  const auto good = data.manifest();
  struct Edit {
    const char* what;
    void (*apply)(nlohmann::json&);
    const char* expected;
  };
  const Edit edits[] = {
      {"schema", [](nlohmann::json& j) { j["schema"] = "attnbench.capture/2"; }, "schema"},
      {"no heads", [](nlohmann::json& j) { j.erase("heads"); }, "heads: missing"},
      {"bad sha", [](nlohmann::json& j) { j["layers"][1]["files"]["v"]["sha256"] = "xyz"; }, "layers[1].files.v.sha256"},
      {"escaping path", [](nlohmann::json& j) { j["layers"][0]["files"]["q"]["path"] = "../x.npy"; }, "layers[0].files.q.path"},
      {"duplicate layer", [](nlohmann::json& j) { j["layers"][1]["layer"] = 0; }, "layer 0 listed twice"},
      {"no model", [](nlohmann::json& j) { j.erase("model"); }, "model: missing"},
  };
  for (const Edit& e : edits) {
    SCOPED_TRACE(e.what);
    auto j = good;
    e.apply(j);
    data.write_manifest(j);
    expect_usage_error([] { attn::load_real_source(kRealSource); }, {"manifest.json", e.expected});
  }
  std::ofstream(data.manifest_path()) << "{ not json";
  expect_usage_error([] { attn::load_real_source(kRealSource); }, {"manifest.json", "not valid JSON"});
}

}  // namespace
