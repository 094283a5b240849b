// Method suite for the kernel / random-feature family of issue 4 (kernel.md cards 1, 2, 6):
// Performer's closed-form MSE and the orthogonal-features inequality, convergence over 4 seeds
// against each method's own exact form, the equal-key-norm identity, SOFT's exactness limit and the
// memory model.
#include <gtest/gtest.h>

#include "ops/random_features.hpp"
#include "ops_testing.hpp"
#include "support/method_harness.hpp"

namespace attn::test {
namespace {

using Params = std::vector<std::pair<std::string, ParamValue>>;

// Empirical MSE of the unstabilized softmax-kernel estimate phi(x).phi(y) over `draws` projections.
double empirical_mse(ops::FeatureKind kind, bool orthogonal, const std::vector<double>& x,
                     const std::vector<double>& y, int64_t m, int draws) {
  const int64_t d = static_cast<int64_t>(x.size());
  testing::CpuCase cpu(1);
  std::vector<double> xy(x);
  xy.insert(xy.end(), y.begin(), y.end());
  const ops::FeatureShape fs{.batch = 1, .seq_len = 2, .head_dim = d, .projections = m, .kind = kind,
                             .shift = ops::FeatureShift::none, .eps = 0, .input_scale = 1};
  const int64_t cols = ops::feature_columns(fs);
  std::vector<double> w(static_cast<size_t>(m * d)), phi(static_cast<size_t>(2 * cols));
  double exact = 0;
  for (int64_t c = 0; c < d; ++c) exact += x[c] * y[c];
  exact = std::exp(exact);
  double sq = 0;
  for (int t = 0; t < draws; ++t) {
    ops::draw_projection(Rng(7, "kernel-mse", orthogonal ? "orf" : "iid").derive(static_cast<uint64_t>(t)), m, d,
                         orthogonal, true, w.data());
    ops::random_features<double>(cpu.ctx, fs, xy.data(), w.data(), phi.data());
    double est = 0;
    for (int64_t j = 0; j < cols; ++j) est += phi[j] * phi[cols + j];
    sq += (est - exact) * (est - exact);
  }
  return sq / draws;
}

TEST(PerformerMse, ClosedFormWithin10PercentAndOrthogonalNoWorse) {
  constexpr int64_t kD = 16, kM = 16;
  constexpr int kDraws = 2000;
  // |x| = |y| = 0.5 (the card keeps norms <= 0.6 so the 4th moment stays tame), angle ~ 60 degrees.
  std::vector<double> x(kD, 0.0), y(kD, 0.0);
  x[0] = 0.5;
  y[0] = 0.25;
  y[1] = 0.5 * std::sqrt(0.75);
  double sum2 = 0, diff2 = 0, dot = 0;
  for (int64_t c = 0; c < kD; ++c) {
    sum2 += (x[c] + y[c]) * (x[c] + y[c]);
    diff2 += (x[c] - y[c]) * (x[c] - y[c]);
    dot += x[c] * y[c];
  }
  const double sm = std::exp(dot);
  const double mse_pos = std::exp(sum2) * sm * sm * (1 - std::exp(-sum2)) / kM;
  const double mse_trig = std::exp(sum2) / (sm * sm) * std::pow(1 - std::exp(-diff2), 2) / (2.0 * kM);
  const double pos = empirical_mse(ops::FeatureKind::positive, false, x, y, kM, kDraws);
  const double trig = empirical_mse(ops::FeatureKind::trig, false, x, y, kM, kDraws);
  EXPECT_NEAR(pos / mse_pos, 1.0, 0.1) << "positive: empirical " << pos << " closed form " << mse_pos;
  EXPECT_NEAR(trig / mse_trig, 1.0, 0.1) << "trig: empirical " << trig << " closed form " << mse_trig;
  EXPECT_LE(empirical_mse(ops::FeatureKind::positive, true, x, y, kM, kDraws), pos);
  EXPECT_LE(empirical_mse(ops::FeatureKind::trig, true, x, y, kM, kDraws), trig);
}

double own_rel_err(const std::string& name, const Inputs& in, int64_t rank, uint64_t seed, const Params& params) {
  const MethodInfo* info = MethodRegistry::instance().find(name);
  const CaseShape cs{in.shape.batch, in.shape.heads, in.shape.seq_len, in.shape.head_dim, false};
  Realized r;
  const ParamSet p = resolve_params(*info, {.rank = rank}, cs, params, r);
  Workspace ws(Device::cpu);
  Context ctx{.device = Device::cpu, .workspace = &ws, .threads = 2};
  auto m = info->create({.shape = cs, .params = p, .seed = seed, .rng_key = "test/" + name});
  auto view = [&](const std::vector<float>& x) { return Tensor{.data = const_cast<float*>(x.data()), .shape = in.shape}; };
  std::vector<float> out(in.q.size()), own(in.q.size());
  Tensor o{.data = out.data(), .shape = in.shape}, e{.data = own.data(), .shape = in.shape};
  m->prepare(ctx);
  m->forward(ctx, view(in.q), view(in.k), view(in.v), o);
  m->forward_own_exact(ctx, view(in.q), view(in.k), view(in.v), e);
  return compare_outputs(out.data(), own.data(), static_cast<int64_t>(own.size()) / in.shape.head_dim,
                         in.shape.head_dim).rel_fro;
}

TEST(KernelConvergence, OwnExactErrorFallsWithFeaturesOverFourSeeds) {
  const Inputs in = make_inputs({1, 1, 256, 32}, 61, 0.5);
  const std::vector<std::pair<std::string, Params>> cases = {
      {"rfa", {}},
      {"kernelized", {}},
      {"kernelized", {{"spectral", std::string("gmm")},
                      {"components", std::string(R"([{"weight":0.7,"mean":0.0,"std":1.0},{"weight":0.3,"mean":0.1,"std":0.5}])")}}}};
  for (const auto& [name, params] : cases) {
    double lo = 0, hi = 0;
    for (uint64_t seed = 0; seed < 4; ++seed) {
      lo += own_rel_err(name, in, 32, seed, params) / 4;
      hi += own_rel_err(name, in, 1024, seed, params) / 4;
    }
    EXPECT_LT(hi, 0.5 * lo) << name << ": D=32 " << lo << ", D=1024 " << hi;
  }
}

TEST(Kernelized, GaussianOwnExactEqualsSoftmaxForEqualKeyNorms) {
  Inputs in = make_inputs({1, 1, 97, 32}, 62, 0.5);
  for (int64_t i = 0; i < 97; ++i) {  // every key scaled to norm 2
    double sq = 0;
    for (int64_t c = 0; c < 32; ++c) sq += double(in.k[i * 32 + c]) * in.k[i * 32 + c];
    for (int64_t c = 0; c < 32; ++c) in.k[i * 32 + c] = static_cast<float>(in.k[i * 32 + c] * 2 / std::sqrt(sq));
  }
  const auto ref = naive_attention<double>(in, {});
  const MethodInfo* info = MethodRegistry::instance().find("kernelized");
  const CaseShape cs{1, 1, 97, 32, false};
  Realized r;
  const ParamSet p = resolve_params(*info, {}, cs, {}, r);
  Workspace ws(Device::cpu);
  Context ctx{.device = Device::cpu, .workspace = &ws, .threads = 2};
  auto m = info->create({.shape = cs, .params = p, .seed = 0, .rng_key = "t"});
  std::vector<float> own(in.q.size());
  Tensor e{.data = own.data(), .shape = in.shape};
  auto view = [&](const std::vector<float>& x) { return Tensor{.data = const_cast<float*>(x.data()), .shape = in.shape}; };
  m->forward_own_exact(ctx, view(in.q), view(in.k), view(in.v), e);
  EXPECT_LT(rel_fro(own, ref, 32), 1e-5);
}

TEST(Soft, LandmarksAtEveryTokenRidgeZeroConvergedNewtonIsOwnExact) {
  const Inputs in = make_inputs({1, 1, 64, 32}, 63, 0.3);
  const Params params = {{"ridge", 0.0}, {"newton_iters", int64_t{200}}};
  EXPECT_LT(own_rel_err("soft", in, 64, 0, params), 1e-3);
  // The official ridge changes the target (card: 4.6e-3 at N = 64).
  EXPECT_GT(own_rel_err("soft", in, 64, 0, {{"newton_iters", int64_t{200}}}), 1e-4);
}

TEST(KernelMemory, TrackedPeakMatchesEstimate) {
  constexpr int64_t kN = 4096;
  const Inputs in = make_inputs({1, 2, kN, 64}, 64, 0.5);
  const std::vector<std::pair<std::string, Params>> cases = {
      {"rfa", {}}, {"kernelized", {}}, {"soft", {}}, {"soft", {{"variant", std::string("soft-norm")}}},
      {"performer", {{"redraw", std::string("per_call")}}}};
  for (const auto& [name, params] : cases) {
    const MethodRun run = run_method(name, in, false, 0, {.rank = 128}, params);
    const double peak = static_cast<double>(run.peak_bytes);
    EXPECT_LE(std::abs(peak - run.estimate_bytes), 0.1 * run.estimate_bytes + 64 * 1024)
        << "peak " << peak << " estimate " << run.estimate_bytes << "; " << run.replay;
    EXPECT_LT(peak, double(kN) * kN * 4) << run.replay;
  }
}

}  // namespace
}  // namespace attn::test
