// Reports read back the selection of distribution "real": input_spec_from_json inverts
// InputSpec::to_json (same case-id fragment and group key), and a malformed head list is an error
// naming the field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "report/input_json.hpp"

namespace {

TEST(ReportRealInputs, RoundTrip) {
  attn::InputSpec s;
  s.distribution = "real";
  s.source = "minilm-l6";
  s.layer = 4;
  s.head_indices = {9, 10, 2};
  s.seq_len = 200;
  s.head_dim = 32;
  s.heads = 3;
  s.temperature = 2.0;
  const attn::InputSpec back = attn::input_spec_from_json(s.to_json());
  EXPECT_EQ(back.source, "minilm-l6");
  EXPECT_EQ(back.layer, 4);
  EXPECT_EQ(back.head_indices, (std::vector<int64_t>{9, 10, 2}));
  EXPECT_EQ(back.id_fragment(), s.id_fragment());
  EXPECT_EQ(back.group_key(), s.group_key());
}

TEST(ReportRealInputs, MalformedHeadListNamesTheField) {
  attn::InputSpec s;
  s.distribution = "real";
  s.source = "minilm-l6";
  s.head_indices = {0};
  s.seq_len = 8;
  auto j = s.to_json();
  j["head_indices"] = nlohmann::json::array({0, "one"});
  try {
    attn::input_spec_from_json(j);
    FAIL() << "expected a UsageError";
  } catch (const attn::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("input.head_indices"), std::string::npos) << e.what();
  }
  j["head_indices"] = 3;
  EXPECT_THROW(attn::input_spec_from_json(j), attn::UsageError);
}

}  // namespace
