// Input generators: reproducible, temperature is an exact scale, and each distribution has the
// structure it promises (clusters, smoothness along the sequence, a low-dimensional subspace).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "inputs/distributions.hpp"
#include "inputs/input_spec.hpp"
#include "inputs/npy.hpp"

namespace {

namespace fs = std::filesystem;
using attn::InputSpec;
using attn::InputTensors;

InputSpec make_spec(const std::string& dist, int64_t n = 256, int64_t d = 32, uint64_t seed = 0) {
  InputSpec s;
  s.distribution = dist;
  s.seq_len = n;
  s.head_dim = d;
  s.batch = 2;
  s.heads = 3;
  s.seed = seed;
  return s;
}

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

double cosine(const float* a, const float* b, int64_t d) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t j = 0; j < d; ++j) {
    ab += double(a[j]) * b[j];
    aa += double(a[j]) * a[j];
    bb += double(b[j]) * b[j];
  }
  return ab / std::sqrt(aa * bb);
}

double mean_square(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += double(v) * v;
  return s / static_cast<double>(x.size());
}

// Rank of a [rows, cols] row-major matrix by Gaussian elimination with full pivoting, counting
// pivots above `rel_tol` times the largest entry (the inputs are fp32-rounded).
int64_t numerical_rank(std::vector<double> a, int64_t rows, int64_t cols, double rel_tol) {
  double max_abs = 0;
  for (double x : a) max_abs = std::max(max_abs, std::fabs(x));
  int64_t rank = 0;
  std::vector<bool> row_used(rows, false), col_used(cols, false);
  while (rank < std::min(rows, cols)) {
    int64_t pr = -1, pc = -1;
    double best = 0;
    for (int64_t i = 0; i < rows; ++i)
      if (!row_used[i])
        for (int64_t j = 0; j < cols; ++j)
          if (!col_used[j] && std::fabs(a[i * cols + j]) > best) best = std::fabs(a[i * cols + j]), pr = i, pc = j;
    if (best <= rel_tol * max_abs) break;
    row_used[pr] = col_used[pc] = true;
    for (int64_t i = 0; i < rows; ++i) {
      if (row_used[i]) continue;
      const double f = a[i * cols + pc] / a[pr * cols + pc];
      for (int64_t j = 0; j < cols; ++j) a[i * cols + j] -= f * a[pr * cols + j];
    }
    ++rank;
  }
  return rank;
}

TEST(Distributions, NamesListEveryGenerator) {
  const auto& names = attn::distribution_names();
  for (const char* n : {"gaussian", "clustered", "local", "lowrank", "file"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(Distributions, DeterministicAndSeedSensitive) {
  for (const char* dist : {"gaussian", "clustered", "local", "lowrank"}) {
    SCOPED_TRACE(dist);
    const InputSpec s = make_spec(dist);
    const InputTensors a = attn::make_inputs(s), b = attn::make_inputs(s);
    EXPECT_EQ(a.shape, s.shape());
    ASSERT_EQ(a.q.size(), static_cast<size_t>(s.shape().numel()));
    EXPECT_TRUE(same_bytes(a.q, b.q));
    EXPECT_TRUE(same_bytes(a.k, b.k));
    EXPECT_TRUE(same_bytes(a.v, b.v));
    EXPECT_FALSE(same_bytes(a.q, a.k)) << "Q and K must be independent draws";
    const InputTensors c = attn::make_inputs(make_spec(dist, 256, 32, /*seed=*/1));
    EXPECT_FALSE(same_bytes(a.q, c.q));
    EXPECT_FALSE(same_bytes(a.k, c.k));
    EXPECT_FALSE(same_bytes(a.v, c.v));
    for (float x : a.q) ASSERT_TRUE(std::isfinite(x));
  }
}

TEST(Distributions, UnitScaleAndVIsStandardNormal) {
  for (const char* dist : {"gaussian", "local", "lowrank"}) {
    SCOPED_TRACE(dist);
    const InputTensors t = attn::make_inputs(make_spec(dist, 1024, 64));
    EXPECT_NEAR(mean_square(t.q), 1.0, 0.15);
    EXPECT_NEAR(mean_square(t.k), 1.0, 0.15);
    EXPECT_NEAR(mean_square(t.v), 1.0, 0.03);
  }
}

TEST(Distributions, TemperatureScalesQAndKBySqrtBeta) {
  for (const char* dist : {"gaussian", "clustered", "local", "lowrank"}) {
    SCOPED_TRACE(dist);
    InputSpec s = make_spec(dist, 128, 16);
    const InputTensors base = attn::make_inputs(s);
    s.temperature = 4.0;
    const InputTensors hot = attn::make_inputs(s);
    for (size_t i = 0; i < base.q.size(); ++i) {
      ASSERT_EQ(hot.q[i], 2.0f * base.q[i]) << i;
      ASSERT_EQ(hot.k[i], 2.0f * base.k[i]) << i;
    }
    EXPECT_TRUE(same_bytes(hot.v, base.v)) << "V must not depend on the temperature";
    s.temperature = 0.25;
    const InputTensors cold = attn::make_inputs(s);
    for (size_t i = 0; i < base.q.size(); ++i) ASSERT_EQ(cold.q[i], 0.5f * base.q[i]) << i;
  }
}

TEST(Distributions, CausalAndDtypeDoNotChangeTheDraw) {
  InputSpec s = make_spec("gaussian");
  const InputTensors a = attn::make_inputs(s);
  s.causal = true;
  EXPECT_TRUE(same_bytes(a.q, attn::make_inputs(s).q));
}

TEST(Distributions, ClusteredHasClusterStructureSharedByQAndK) {
  // With C = 4 centres, a pair of rows shares a centre with probability 1/4 and then has cosine
  // about 1 / 1.09; otherwise about 0. Gaussian rows are almost never that aligned.
  InputSpec s = make_spec("clustered", 256, 64);
  s.clusters = 4;
  const InputTensors t = attn::make_inputs(s);
  const InputTensors g = attn::make_inputs(make_spec("gaussian", 256, 64));
  auto aligned_fraction = [&](const std::vector<float>& a, const std::vector<float>& b, bool skip_diag) {
    int64_t hits = 0, pairs = 0;
    for (int64_t i = 0; i < 256; ++i)
      for (int64_t j = 0; j < 256; ++j) {
        if (skip_diag && i == j) continue;
        hits += cosine(a.data() + i * 64, b.data() + j * 64, 64) > 0.6;
        ++pairs;
      }
    return double(hits) / double(pairs);
  };
  EXPECT_NEAR(aligned_fraction(t.q, t.q, true), 0.25, 0.08);
  EXPECT_NEAR(aligned_fraction(t.q, t.k, false), 0.25, 0.08) << "Q and K must share centres";
  EXPECT_LT(aligned_fraction(g.q, g.k, false), 0.001);
  // Heads have their own centres: head 0 queries do not align with head 1 keys more than chance.
  const std::vector<float> k_head1(t.k.begin() + 256 * 64, t.k.begin() + 2 * 256 * 64);
  EXPECT_LT(aligned_fraction(t.q, k_head1, false), 0.05);
}

TEST(Distributions, LocalHasLagOneAutocorrelation) {
  InputSpec s = make_spec("local", 4096, 16);
  s.batch = s.heads = 1;
  s.smoothing = 8;
  const InputTensors t = attn::make_inputs(s);
  auto lag_corr = [&](const std::vector<float>& x, int64_t lag) {
    double num = 0, den = 0;
    for (int64_t i = 0; i + lag < 4096; ++i)
      for (int64_t j = 0; j < 16; ++j) num += double(x[i * 16 + j]) * x[(i + lag) * 16 + j];
    for (float v : x) den += double(v) * v;
    return num / den;
  };
  EXPECT_NEAR(lag_corr(t.q, 1), 1.0 - 1.0 / 8, 0.03);
  EXPECT_NEAR(lag_corr(t.k, 1), 1.0 - 1.0 / 8, 0.03);
  EXPECT_NEAR(lag_corr(t.q, 4), 0.5, 0.05);
  EXPECT_NEAR(lag_corr(t.q, 8), 0.0, 0.05) << "windows 8 apart share no draws";
  EXPECT_NEAR(lag_corr(t.v, 1), 0.0, 0.05) << "V stays iid";
}

TEST(Distributions, LowrankQAndKShareASubspaceOfTheGivenDimension) {
  InputSpec s = make_spec("lowrank", 64, 32);
  s.subspace_dim = 5;
  const InputTensors t = attn::make_inputs(s);
  const int64_t n = 64, d = 32;
  for (int64_t bh = 0; bh < 2; ++bh) {
    std::vector<double> q(t.q.begin() + bh * n * d, t.q.begin() + (bh + 1) * n * d);
    EXPECT_EQ(numerical_rank(q, n, d, 1e-4), 5) << "head " << bh;
    std::vector<double> qk = q;
    qk.insert(qk.end(), t.k.begin() + bh * n * d, t.k.begin() + (bh + 1) * n * d);
    EXPECT_EQ(numerical_rank(qk, 2 * n, d, 1e-4), 5) << "K must live in Q's subspace";
  }
  std::vector<double> two_heads(t.q.begin(), t.q.begin() + n * d);
  two_heads.insert(two_heads.end(), t.q.begin() + n * d, t.q.begin() + 2 * n * d);
  EXPECT_EQ(numerical_rank(two_heads, 2 * n, d, 1e-4), 10) << "each head has its own basis";
  // The gaussian control is full rank.
  const InputTensors g = attn::make_inputs(make_spec("gaussian", 64, 32));
  EXPECT_EQ(numerical_rank(std::vector<double>(g.q.begin(), g.q.begin() + n * d), n, d, 1e-4), 32);
}

TEST(Distributions, UnknownDistributionIsAUsageError) {
  EXPECT_THROW(attn::make_inputs(make_spec("uniform")), attn::UsageError);
  InputSpec s = make_spec("gaussian");
  s.seq_len = 0;
  EXPECT_THROW(attn::make_inputs(s), attn::UsageError);
}

class FileInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attn_inputs_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FileInputs, SaveThenLoadRoundTrips) {
  InputSpec s = make_spec("clustered", 96, 40);
  const InputTensors t = attn::make_inputs(s);
  attn::save_inputs(t, (dir_ / "nested" / "folder").string());
  InputSpec f = make_spec("file", 96, 40);
  f.q_path = (dir_ / "nested/folder/q.npy").string();
  f.k_path = (dir_ / "nested/folder/k.npy").string();
  f.v_path = (dir_ / "nested/folder/v.npy").string();
  const InputTensors back = attn::make_inputs(f);
  EXPECT_EQ(back.shape, t.shape);
  EXPECT_TRUE(same_bytes(back.q, t.q));
  EXPECT_TRUE(same_bytes(back.k, t.k));
  EXPECT_TRUE(same_bytes(back.v, t.v));
  f.temperature = 4.0;  // applies to file inputs too
  EXPECT_EQ(attn::make_inputs(f).q[7], 2.0f * t.q[7]);
}

TEST_F(FileInputs, TwoDimensionalFilesMeanOneHead) {
  fs::create_directories(dir_);
  std::vector<float> x(10 * 4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);
  for (const char* n : {"q.npy", "k.npy", "v.npy"}) attn::write_npy((dir_ / n).string(), x.data(), {10, 4});
  InputSpec f = make_spec("file", 10, 4);
  f.batch = f.heads = 1;
  f.q_path = (dir_ / "q.npy").string();
  f.k_path = (dir_ / "k.npy").string();
  f.v_path = (dir_ / "v.npy").string();
  const InputTensors t = attn::make_inputs(f);
  EXPECT_EQ(t.shape, (attn::Shape{1, 1, 10, 4}));
  EXPECT_EQ(t.v, x);

  f.seq_len = 12;  // must equal the file's N, naming the file and the field
  try {
    attn::make_inputs(f);
    FAIL() << "a seq_len mismatch was accepted";
  } catch (const attn::UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(f.q_path + ": inputs.seq_len is 10 in the file but 12 in the spec"), std::string::npos) << msg;
  }
  f.seq_len = 10;
  f.head_dim = 8;
  EXPECT_THROW(attn::make_inputs(f), attn::UsageError);
  f.head_dim = 4;
  f.k_path = (dir_ / "missing.npy").string();
  try {
    attn::make_inputs(f);
    FAIL();
  } catch (const attn::UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(f.k_path + ": cannot read", 0), 0u) << e.what();
  }
}

TEST_F(FileInputs, SaveIntoAnUnwritablePathNamesIt) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "plain_file") << "x";
  const InputTensors t = attn::make_inputs(make_spec("gaussian", 8, 4));
  const std::string bad = (dir_ / "plain_file" / "sub").string();
  try {
    attn::save_inputs(t, bad);
    FAIL();
  } catch (const attn::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

TEST(InputSpecNames, IdFragmentGroupKeyAndJson) {
  InputSpec s = make_spec("gaussian", 4096, 64);
  s.batch = 1;
  s.heads = 4;
  EXPECT_EQ(s.id_fragment(), "gaussian/N=4096/d=64/B=1/H=4/fp32/seed=0");
  s.temperature = 4;
  s.causal = true;
  EXPECT_EQ(s.id_fragment(), "gaussian/N=4096/d=64/B=1/H=4/fp32/seed=0/t=4/causal");
  s.temperature = 0.5;
  s.causal = false;
  EXPECT_EQ(s.id_fragment(), "gaussian/N=4096/d=64/B=1/H=4/fp32/seed=0/t=0.5");
  s.temperature = 1;
  s.distribution = "clustered";
  s.clusters = 16;
  EXPECT_EQ(s.id_fragment(), "clustered/clusters=16/N=4096/d=64/B=1/H=4/fp32/seed=0");
  s.distribution = "lowrank";
  EXPECT_EQ(s.id_fragment(), "lowrank/sub=8/N=4096/d=64/B=1/H=4/fp32/seed=0");
  s.distribution = "local";
  EXPECT_EQ(s.id_fragment(), "local/smooth=32/N=4096/d=64/B=1/H=4/fp32/seed=0");

  // Group keys separate everything that changes the tensors or the reference.
  InputSpec a = make_spec("gaussian"), b = a;
  EXPECT_EQ(a.group_key(), b.group_key());
  b.temperature = 1.0000001;
  EXPECT_NE(a.group_key(), b.group_key()) << "temperatures that print alike must still differ";
  b = a;
  b.causal = true;
  EXPECT_NE(a.group_key(), b.group_key());
  InputSpec f1 = make_spec("file"), f2 = f1;
  f1.q_path = "a/q.npy";
  f2.q_path = "b/q.npy";
  EXPECT_NE(f1.group_key(), f2.group_key());
  EXPECT_NE(f1.id_fragment(), f2.id_fragment());

  const nlohmann::json j = make_spec("clustered").to_json();
  EXPECT_EQ(j["distribution"], "clustered");
  EXPECT_EQ(j["seq_len"], 256);
  EXPECT_EQ(j["dtype"], "fp32");
  EXPECT_EQ(j["clusters"], 16);
  EXPECT_FALSE(j.contains("subspace_dim"));
  EXPECT_FALSE(j.contains("q"));
  EXPECT_TRUE(f1.to_json().contains("q"));
}

}  // namespace

// `local` must make attention local: q_i . k_j is large for nearby tokens and near zero for far
// ones (independent smooth Q and K series would be smooth but not local).
TEST(Distributions, LocalScoresConcentrateNearTheDiagonal) {
  const InputTensors t = attn::make_inputs(make_spec("local", 1024, 64));
  const int64_t n = 1024, d = 64;
  auto mean_score = [&](int64_t lag) {
    double sum = 0;
    for (int64_t i = 0; i + lag < n; ++i)
      for (int64_t c = 0; c < d; ++c) sum += double(t.q[i * d + c]) * t.k[(i + lag) * d + c];
    return sum / double(n - lag) / double(d);  // per-feature covariance at this lag
  };
  EXPECT_NEAR(mean_score(0), 0.8, 0.15);        // the shared positional variance
  EXPECT_NEAR(mean_score(16), 0.4, 0.15);       // 0.8 (1 - 16/32)
  EXPECT_NEAR(mean_score(500), 0.0, 0.1);       // far tokens: unrelated
}
