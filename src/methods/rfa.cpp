// rfa: Random Feature Attention (random Fourier features on L2-normalized queries and keys).
//
// Paper: Peng et al., "Random Feature Attention", ICLR 2021 (no official code found; the card's
// feature map follows the paper and a third-party reimplementation). Card: shared/methods/kernel.md
// card 2 (`rfa_normalized`).
// Approximates: its own operator softmax(Q^ K^T / tau) V with Q^, K^ the L2-normalized rows, through
// phi(x^) = [cos(W x^), sin(W x^)] / sqrt(m), W rows ~ N(0, I / tau): the features estimate the
// Gaussian kernel exp(-|q^ - k^|^2 / (2 tau)), which on unit vectors is exp(q^.k^ / tau) up to a
// constant, so the row-normalized output estimates the cosine-similarity softmax. Reference: both
// (exact softmax, which it does not target, and the own exact form above).
// Complexity: O(N m d) time, O(N m) memory; causal by the chunked prefix-sum scan.
// Exactness: none; converges to the own exact form as m grows. Trig features are signed, so the
// denominator can vanish: bad rows are counted (diagnostics.bad_denominator_rows).
// Parameters: num_features (= rank, even; 128: D = 64 frequencies, the reimplementation's default),
// tau (1: the paper's sigma initialization), orthogonal (false: iid frequencies), eps (1e-6 guard),
// chunk (128).
// Deviations: untrained (no learned sigma, no gate): the card's faithful untrained variant; W is one
// draw per case instead of the paper's pool of pre-sampled matrices.
#include <cmath>
#include <vector>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/flash_attention.hpp"
#include "ops/linear_attention.hpp"
#include "ops/random_features.hpp"
#include "ops/rowwise.hpp"

namespace attn {
namespace {

ops::FeatureShape feature_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
          .projections = p.get_int("num_features") / 2, .kind = ops::FeatureKind::fourier,
          .shift = ops::FeatureShift::none, .eps = 0, .input_scale = 1.0 / std::sqrt(p.get_double("tau")),
          .l2_normalize = true};
}

ops::LinearAttentionShape linear_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .features = p.get_int("num_features"),
          .value_dim = s.head_dim, .causal = s.causal, .chunk = p.get_int("chunk"), .guard_eps = p.get_double("eps")};
}

class Rfa final : public Method {
 public:
  explicit Rfa(const MethodConfig& c) : config_(c) {}

  void prepare(Context& ctx) override {
    const int64_t m = config_.params.get_int("num_features") / 2, d = config_.shape.head_dim;
    std::vector<float> w(static_cast<size_t>(m * d));
    ops::draw_projection(Rng(config_.seed, config_.rng_key, "rfa/projection"), m, d,
                         config_.params.get_bool("orthogonal"), true, w.data());
    w_ = ctx.ws().get<float>("rfa.w", m * d);
    copy_bytes(w_, ctx.device, w.data(), Device::cpu, w.size() * sizeof(float));
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const auto fs = feature_shape(s, config_.params);
    const auto la = linear_shape(s, config_.params);
    float* phi_q = ctx.ws().get<float>("rfa.phi_q", s.heads_total() * s.seq_len * la.features);
    float* phi_k = ctx.ws().get<float>("rfa.phi_k", s.heads_total() * s.seq_len * la.features);
    ops::random_features<float>(ctx, fs, q.ptr<float>(), w_, phi_q);
    ops::random_features<float>(ctx, fs, k.ptr<float>(), w_, phi_k);
    bad_rows_ = ops::linear_attention<float>(ctx, la, phi_q, phi_k, v.ptr<float>(), out.ptr<float>());
  }

  // softmax(Q^ K^T / tau) V on the unit rows (exact, tiled).
  void forward_own_exact(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t rows = s.heads_total() * s.seq_len;
    float* qn = ctx.ws().get<float>("rfa.own_q", rows * s.head_dim);
    float* kn = ctx.ws().get<float>("rfa.own_k", rows * s.head_dim);
    ops::normalize_rows<float>(ctx, ops::row_shape(rows, s.head_dim), 1.0f, q.ptr<float>(), qn);
    ops::normalize_rows<float>(ctx, ops::row_shape(rows, s.head_dim), 1.0f, k.ptr<float>(), kn);
    const ops::FlashShape fs{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
                             .mask = {.causal = s.causal}, .tiles = ops::default_flash_tiles(s.head_dim)};
    ops::flash_attention<float>(ctx, fs, static_cast<float>(1.0 / config_.params.get_double("tau")), qn, kn,
                                v.ptr<float>(), out.ptr<float>());
  }

  nlohmann::json diagnostics() const override { return {{"bad_denominator_rows", bad_rows_}}; }

 private:
  MethodConfig config_;
  float* w_ = nullptr;
  int64_t bad_rows_ = 0;
};

void apply_rfa_budget(const Budget& budget, const CaseShape&, const std::vector<std::string>& explicit_params,
                      ParamSet& p, Realized& r) {
  const int64_t cols = apply_rank(budget, explicit_params, p, "num_features");
  if (cols % 2 != 0 || cols < 2) throw UsageError("num_features: RFA needs an even feature count (sin and cos)");
  r.rank = cols;
}

double rfa_flops(const CaseShape& s, const ParamSet& p) {
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
  const double cols = static_cast<double>(p.get_int("num_features"));
  return static_cast<double>(s.heads_total()) * (2 * (3 * n * d + n * d * cols) + 2 * 2 * n * cols + 2 * (2 * n * cols * (d + 1)));
}

double rfa_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const auto la = linear_shape(s, p);
  const double phi = 2.0 * static_cast<double>(s.heads_total() * s.seq_len * la.features) * sizeof(float);
  const double w = static_cast<double>(la.features / 2 * s.head_dim) * sizeof(float);
  // Both feature calls normalize into the same "random_features.unit" buffer (GPU only).
  const double unit =
      static_cast<double>(ops::random_features_scratch_bytes(feature_shape(s, p), sizeof(float), s.device));
  return phi + w + unit +
         static_cast<double>(ops::linear_attention_scratch_bytes(la, sizeof(float), threads, s.device));
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "rfa",
    .family = "kernel",
    .summary = "Random Feature Attention: Fourier features of L2-normalized q, k with temperature tau",
    .paper = "Peng et al., Random Feature Attention, ICLR 2021",
    .params = {{.name = "num_features", .type = ParamType::integer, .default_value = int64_t{128}, .min = 2,
                .max = 1 << 20, .doc = "feature columns 2D (rank; D frequencies)"},
               {.name = "tau", .type = ParamType::number, .default_value = 1.0, .min = 1e-6, .max = 1e6,
                .doc = "temperature: W rows ~ N(0, I/tau), target softmax(Q^ K^T / tau)"},
               {.name = "orthogonal", .type = ParamType::boolean, .default_value = false,
                .doc = "orthogonal frequency blocks (card 1 ORF) instead of iid"},
               {.name = "eps", .type = ParamType::number, .default_value = 1e-6, .min = 0, .max = 1,
                .doc = "denominator guard"},
               {.name = "chunk", .type = ParamType::integer, .default_value = int64_t{128}, .min = 1, .max = 65536,
                .doc = "causal prefix-sum chunk size"}},
    .budget_doc = "rank = feature columns (rank/2 frequencies)",
    .uses_rank = true,
    .supports_causal = true,
    .randomized = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N m d) time, O(N m) memory",
    .reference = ReferenceKind::both,
    .apply_budget = apply_rfa_budget,
    .flops = rfa_flops,
    .workspace_bytes = rfa_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Rfa>(c); },
}};

}  // namespace
}  // namespace attn
