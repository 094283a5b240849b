// CPU vs GPU for the sampling ops (ops/sampling.hpp) and LARA's MIS weights (ops/mis_weights.hpp).
// Both devices draw from one Philox (core/philox.hpp), so: draws with replacement are identical;
// uniform and weighted Gumbel draws without replacement give identical indices (weights from a
// continuous distribution, zero weights whose -inf keys tie, count up to n); categorical rows agree
// in >= 99% of rows (identical when the probabilities are dyadic, so every running sum is exact in
// any order); the device normals equal the host's to a few ulp (device log and cos) and the noise op
// to nmse < 1e-14 (fp64) / 1e-7 (fp32); MIS weights to nmse < 1e-7 (fp32) for every kind, S in
// {1, 3}, both aux layouts and C both below and above a warp. Skips without a device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.hpp"
#include "cuda_testing.hpp"
#include "ops/mis_weights.hpp"
#include "ops/sampling.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

std::string shape_text(const SampleShape& s) {
  return "batch=" + std::to_string(s.batch) + " n=" + std::to_string(s.n) + " count=" + std::to_string(s.count);
}

TEST(OpsCudaSampling, WithReplacementMatchesCpuExactly) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const Rng rng(3, "cuda-sampling", "with");
  for (int64_t n : {int64_t{1}, int64_t{97}, int64_t{4096}, int64_t{1} << 40}) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{12345}, (uint64_t{1} << 62) + 5}) {
      const SampleShape s{.batch = 3, .n = n, .count = 500};
      std::vector<int64_t> idx(static_cast<std::size_t>(s.batch * s.count), -1);
      DeviceVector<int64_t> didx(idx);
      sample_with_replacement(cpu.ctx, s, rng, offset, idx.data());
      sample_with_replacement(gpu.ctx, s, rng, offset, didx.ptr);
      EXPECT_EQ(didx.to_host(), idx) << shape_text(s) << " offset=" << offset;
    }
  }
}

template <class T>
void without_case(CudaSession& session, const SampleShape& s, const std::vector<T>& wa, const std::vector<T>& wb,
                  double floor, uint64_t offset) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const Rng rng(4, "cuda-sampling", "without");
  std::vector<int64_t> idx(static_cast<std::size_t>(s.batch * s.count), -1);
  DeviceVector<int64_t> didx(idx);
  DeviceVector<T> da(wa.empty() ? std::vector<T>(1) : wa), db(wb.empty() ? std::vector<T>(1) : wb);
  const T* ha = wa.empty() ? nullptr : wa.data();
  const T* hb = wb.empty() ? nullptr : wb.data();
  sample_without_replacement<T>(cpu.ctx, s, ha, hb, floor, rng, offset, idx.data());
  sample_without_replacement<T>(gpu.ctx, s, ha ? da.ptr : nullptr, hb ? db.ptr : nullptr, floor, rng, offset, didx.ptr);
  EXPECT_EQ(didx.to_host(), idx) << shape_text(s) << " weights=" << !wa.empty() << "/" << !wb.empty()
                                 << " floor=" << floor << " offset=" << offset;
}

TEST(OpsCudaSampling, UniformWithoutReplacementMatchesCpuExactly) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t n : {1, 50, 4096})
    for (int64_t count : {int64_t{1}, std::max<int64_t>(1, n / 3), n})
      for (uint64_t offset : {uint64_t{0}, uint64_t{999}}) {
        without_case<float>(session, {.batch = 4, .n = n, .count = count}, {}, {}, 0.0, offset);
        without_case<double>(session, {.batch = 2, .n = n, .count = count}, {}, {}, 0.0, offset);
      }
}

TEST(OpsCudaSampling, WeightedGumbelWithoutReplacementMatchesCpuExactly) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t n : {7, 300, 5000}) {
    const SampleShape s{.batch = 3, .n = n, .count = std::max<int64_t>(1, n / 4)};
    const auto a = testing::uniform_vector<float>(s.batch * n, 1, "wa", 0.0, 3.0);
    const auto b = testing::uniform_vector<float>(s.batch * n, 2, "wb", 0.0, 3.0);
    without_case<float>(session, s, a, b, 1e-12, 0);  // Skeinformer's form: sqrt(a b) + floor
    without_case<float>(session, s, a, {}, 0.0, 77);  // one weight array
    const auto ad = testing::uniform_vector<double>(s.batch * n, 3, "wad", 0.0, 3.0);
    without_case<double>(session, s, ad, ad, 0.0, 5);
    // Every other weight zero and no floor: the zeros' keys are -inf and tie; taking 3/4 of n
    // reaches into them, and both devices take the lowest positions among the ties.
    auto holes = a;
    for (std::size_t i = 0; i < holes.size(); i += 2) holes[i] = 0.0f;
    without_case<float>(session, {.batch = 3, .n = n, .count = std::max<int64_t>(1, 3 * n / 4)}, holes, {}, 0.0, 11);
    // Negative products are clamped to 0 (std::max(0, a b)), so with a floor they draw like zeros.
    auto negative = b;
    for (std::size_t i = 0; i < negative.size(); i += 3) negative[i] = -negative[i];
    without_case<float>(session, s, a, negative, 1e-3, 13);
  }
}

// Rows of `n` probabilities: a softmax of normal logits, with some zeros (including leading and
// trailing ones); one row is all zero (index 0 on both devices).
template <class T>
std::vector<T> categorical_rows(int64_t rows, int64_t n, uint64_t seed) {
  auto p = testing::normal_vector<T>(rows * n, seed, "cat", 2.0);
  for (int64_t r = 0; r < rows; ++r) {
    T* row = p.data() + r * n;
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) sum += row[j] = static_cast<T>(std::exp(static_cast<double>(row[j])));
    for (int64_t j = 0; j < n; ++j) row[j] = static_cast<T>(row[j] / sum);
    if (r % 5 == 1)
      for (int64_t j = 0; j < n; j += 3) row[j] = T(0);
    if (r % 7 == 2) row[n - 1] = T(0);
  }
  std::fill(p.begin() + (rows / 2) * n, p.begin() + (rows / 2 + 1) * n, T(0));
  return p;
}

template <class T>
void categorical_case(CudaSession& session, const SampleShape& s, const std::vector<T>& probs, double min_agree) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const Rng rng(5, "cuda-sampling", "categorical");
  std::vector<int64_t> idx(static_cast<std::size_t>(s.batch * s.count), -1);
  DeviceVector<int64_t> didx(idx);
  DeviceVector<T> dp(probs);
  sample_categorical_rows<T>(cpu.ctx, s, probs.data(), rng, 31, idx.data());
  sample_categorical_rows<T>(gpu.ctx, s, dp.ptr, rng, 31, didx.ptr);
  const auto got = didx.to_host();
  int64_t same = 0;
  for (std::size_t r = 0; r < idx.size(); ++r) {
    same += got[r] == idx[r];
    ASSERT_TRUE(got[r] >= 0 && got[r] < s.n) << "row " << r;
  }
  EXPECT_GE(static_cast<double>(same), min_agree * static_cast<double>(idx.size()))
      << shape_text(s) << ": " << idx.size() - same << " rows differ";
}

TEST(OpsCudaSampling, CategoricalRowsMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  // n = 5000 spans three chunks of the block's shared-memory scan.
  for (int64_t n : {1, 7, 300, 2048, 5000}) {
    const SampleShape s{.batch = 2, .n = n, .count = 150};
    categorical_case<float>(session, s, categorical_rows<float>(s.batch * s.count, n, 1), 0.99);
    categorical_case<double>(session, s, categorical_rows<double>(s.batch * s.count, n, 2), 0.99);
  }
}

TEST(OpsCudaSampling, CategoricalRowsIdenticalWithDyadicProbabilities) {
  // Probabilities k / 1024: every partial sum is exact in double in any order, so the device's
  // block scan meets the CPU's sequential sum exactly and every row must agree.
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t n : {5, 300, 3000}) {
    const SampleShape s{.batch = 1, .n = n, .count = 400};
    auto p = testing::uniform_vector<double>(s.count * n, 3, "dyadic", 0.0, 4.0);
    for (double& v : p) v = std::floor(v) / 1024.0;
    categorical_case<float>(session, s, std::vector<float>(p.begin(), p.end()), 1.0);
    categorical_case<double>(session, s, p, 1.0);
  }
}

TEST(OpsCudaSampling, DeviceNormalsEqualTheHostsToAFewUlp) {
  // x = 0, sd = 1: the op writes the device's Box-Muller normals themselves; their uniforms are
  // bit-identical, log and cos may round differently by about an ulp.
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  testing::GpuCase gpu(session);
  const Rng rng(6, "cuda-sampling", "normal");
  constexpr int64_t kN = 100003;
  const uint64_t offset = (uint64_t{1} << 40) + 3;
  DeviceVector<double> dx(std::vector<double>(kN, 0.0));
  add_gaussian_noise<double>(gpu.ctx, kN, 1.0, rng, offset, dx.ptr);
  const auto got = dx.to_host();
  double worst = 0;
  for (int64_t i = 0; i < kN; ++i) {
    const double want = rng.normal(offset + static_cast<uint64_t>(i));
    worst = std::max(worst, std::abs(got[i] - want) / std::max(std::abs(want), 1e-300));
  }
  EXPECT_LT(worst, 1e-14) << "largest relative difference of a device normal";
}

template <class T>
void noise_case(CudaSession& session, double sd, double tolerance) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const Rng rng(7, "cuda-sampling", "noise");
  constexpr int64_t kN = 70001;  // above the CPU's parallel threshold
  auto x = testing::normal_vector<T>(kN, 8, "x");
  DeviceVector<T> dx(x);
  add_gaussian_noise<T>(cpu.ctx, kN, sd, rng, 1234, x.data());
  add_gaussian_noise<T>(gpu.ctx, kN, sd, rng, 1234, dx.ptr);
  EXPECT_LT(testing::nmse(dx.to_host(), x), tolerance) << "sd=" << sd;
}

TEST(OpsCudaSampling, GaussianNoiseMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (double sd : {0.0, 0.3, 1.0}) {
    noise_case<double>(session, sd, 1e-14);
    noise_case<float>(session, sd, 1e-7);
  }
}

template <class T>
void mis_case(CudaSession& session, MisShape s) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const int64_t p_n = s.samples * s.proposals;
  const auto lq = testing::normal_vector<T>(s.batch * p_n * s.queries, 1, "lq", 2.0);
  const auto lse_k = testing::normal_vector<T>(s.batch * p_n, 2, "lse_k");
  const auto lmu = testing::normal_vector<T>(s.batch * p_n * s.proposals, 3, "lmu", 3.0);
  // aux: for opt a softmax-like t in [0, 1] (with alpha_coeff 30 the 1e-8 clamp is active), for
  // biased a score of either sign.
  const auto aux = s.kind == MisKind::opt
                       ? testing::uniform_vector<T>(s.batch * s.proposals * s.queries, 4, "aux", 0.0, 1.0)
                       : testing::normal_vector<T>(s.batch * s.proposals * s.queries, 5, "aux");
  const bool with_aux = s.kind != MisKind::bh;
  std::vector<T> out(static_cast<std::size_t>(s.batch * s.queries * p_n));
  DeviceVector<T> dlq(lq), dlse(lse_k), dlmu(lmu), daux(aux), dout(out);
  mis_weights<T>(cpu.ctx, s, lq.data(), lse_k.data(), lmu.data(), with_aux ? aux.data() : nullptr, out.data());
  mis_weights<T>(gpu.ctx, s, dlq.ptr, dlse.ptr, dlmu.ptr, with_aux ? daux.ptr : nullptr, dout.ptr);
  EXPECT_LT(testing::nmse(dout.to_host(), out), 1e-7)
      << "kind=" << static_cast<int>(s.kind) << " S=" << s.samples << " C=" << s.proposals << " N=" << s.queries
      << " query_major=" << s.aux_query_major << " coeff=" << s.alpha_coeff;
}

TEST(OpsCudaMisWeights, MatchesCpuForEveryKindSampleCountAndLayout) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (auto kind : {MisKind::opt, MisKind::bh, MisKind::biased})
    for (int64_t samples : {1, 3})
      for (bool query_major : {false, true})
        for (auto [c, n] : {std::pair<int64_t, int64_t>{5, 37}, {70, 100}}) {
          const MisShape s{.batch = 2, .proposals = c, .samples = samples, .queries = n, .kind = kind,
                           .alpha_coeff = 1.0, .aux_query_major = query_major};
          mis_case<float>(session, s);
          mis_case<double>(session, s);
          if (kind == MisKind::opt) {
            MisShape clamped = s;
            clamped.alpha_coeff = 30.0;
            mis_case<float>(session, clamped);
          }
        }
}

}  // namespace
}  // namespace attn::ops
