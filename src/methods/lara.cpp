// lara: linear randomized attention, self-normalized multiple importance sampling with C Gaussian
// proposals centred on segment means.
//
// Paper: Zheng, Wang, Kong, "Linear Complexity Randomized Self-attention Mechanism", ICML 2022
// (official code: HKUNLP/efficient-attention, efficient_attention/lara.py, class LinearRA, 1-D path).
// Card: shared/methods/kernel.md card 3.
// Approximates: softmax (biased). In scaled space x = q d^-1/4, y = k d^-1/4: proposals
// mu_c = mean_c(x) + mean_c(y) over C contiguous segments (the no-param-pool generator, for an
// untrained model), samples omega (mean mode: omega_c = mu_c; sample mode: S draws mu_c + eps per
// proposal), log-features Lq = omega x^T - |x|^2/2 and Lk = omega y^T - |y|^2/2, per-sample values
// kv = softmax_m(Lk) V, MIS weights over the samples (ops/mis_weights.hpp: opt, bh or biased), and
// out_n = sum_p w[n, p] kv_p.
// Complexity: O(P N d) time, O(P N) memory with P = C (mean) or S C (sample). Not causal (the
// official README: the global landmarks mix in the future).
// Exactness: none. With one zero-mean proposal (proposals = zero), mis = bh and S iid samples it
// equals Performer's positive features with W = the samples and no stabilizer (tested).
// Parameters: num_landmarks (C = rank; 49, the code's default), sampling (mean: the official inference
// mode, deterministic; sample: the paper's estimator), samples_per_proposal (S; 1), noise (theory:
// eps ~ N(0, I) in scaled space; code_train: the code's unit noise on unscaled q + k, N(0, d^-1/2 I)
// here), antithetic (false: the code's use_antithetics, S even), mis (opt, the code's default | bh |
// biased), alpha_coeff (1.0), t_axis (queries: the code's softmax axis of mis-opt's t | proposals:
// the card's reading of the paper), proposals (segment_means | zero: mu = 0 and q-bar = 0, the
// Performer limit). C >= N means one landmark per token (code rule).
// Budget: rank = C S (mean mode ignores S: rank = C); rank > N is clamped to N landmarks.
// Deviations: the code's t = softmax over queries of q-bar . x is the default (kernel.md notes the
// paper may mean proposals: t_axis = proposals); S > 1 generalizes the code's two-sample multisample
// mode (mu.repeat order, ops/mis_weights.hpp); the noise is drawn once per case on the host from
// (seed, case, "lara/noise") (the code redraws per training step).
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/gather.hpp"
#include "ops/gemm.hpp"
#include "ops/mis_weights.hpp"
#include "ops/rowwise.hpp"
#include "ops/segment_means.hpp"
#include "ops/softmax.hpp"

namespace attn {
namespace {

using ops::Trans;

struct Plan {
  int64_t proposals = 0;  // C
  int64_t samples = 1;    // S draws per proposal (1 in mean mode)
  bool sample = false;
  int64_t rows() const { return proposals * samples; }  // P
};

Plan plan_of(const CaseShape& s, const ParamSet& p) {
  const bool sample = p.get_string("sampling") == "sample";
  return {.proposals = std::min(p.get_int("num_landmarks"), s.seq_len),
          .samples = sample ? p.get_int("samples_per_proposal") : 1, .sample = sample};
}

ops::MisKind mis_kind(const ParamSet& p) {
  const auto& m = p.get_string("mis");
  if (m == "bh") return ops::MisKind::bh;
  if (m == "biased") return ops::MisKind::biased;
  return ops::MisKind::opt;
}

double noise_sd(const CaseShape& s, const ParamSet& p) {
  return p.get_string("noise") == "code_train" ? std::pow(static_cast<double>(s.head_dim), -0.25) : 1.0;
}

class Lara final : public Method {
 public:
  explicit Lara(const MethodConfig& c) : config_(c), plan_(plan_of(c.shape, c.params)) {}

  void prepare(Context& ctx) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), d = s.head_dim, c = plan_.proposals, p = plan_.rows();
    auto& ws = ctx.ws();
    q_bar_ = ws.get<float>("lara.q_bar", bh * c * d);
    k_bar_ = ws.get<float>("lara.k_bar", bh * c * d);
    mu_ = ws.get<float>("lara.mu", bh * c * d);
    if (config_.params.get_string("proposals") == "zero") {
      const std::vector<float> zeros(static_cast<size_t>(bh * c * d), 0.0f);
      for (float* dst : {q_bar_, k_bar_, mu_}) copy_bytes(dst, ctx.device, zeros.data(), Device::cpu, zeros.size() * 4);
    }
    if (!plan_.sample) return;
    // Sample p draws from proposal p % C (the code's repeat order); the noise is data-independent.
    std::vector<int64_t> rep(static_cast<size_t>(p));
    for (int64_t i = 0; i < p; ++i) rep[i] = i % c;
    repeat_ = ws.get<int64_t>("lara.repeat", p);
    copy_bytes(repeat_, ctx.device, rep.data(), Device::cpu, rep.size() * sizeof(int64_t));
    std::vector<float> eps(static_cast<size_t>(bh * p * d));
    Rng(config_.seed, config_.rng_key, "lara/noise").fill_normal(eps.data(), static_cast<int64_t>(eps.size()));
    if (config_.params.get_bool("antithetic")) {  // repetition j >= S/2 mirrors repetition j - S/2 (mu -/+ eps)
      const int64_t half = plan_.samples / 2 * c * d;
      for (int64_t b = 0; b < bh; ++b)
        for (int64_t i = 0; i < half; ++i) eps[b * p * d + half + i] = -eps[b * p * d + i];
    }
    noise_ = ws.get<float>("lara.noise", bh * p * d);
    copy_bytes(noise_, ctx.device, eps.data(), Device::cpu, eps.size() * sizeof(float));
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const auto& prm = config_.params;
    const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim, c = plan_.proposals, p = plan_.rows();
    const float scale = static_cast<float>(quarter_root_scale(d)), half_inv_sqrt_d = 0.5f * scale * scale;
    const ops::MisKind kind = mis_kind(prm);
    auto& ws = ctx.ws();
    float* omega = plan_.sample ? ws.get<float>("lara.omega", bh * p * d) : mu_;
    float* x_bias = ws.get<float>("lara.x_bias", bh * n);
    float* y_bias = ws.get<float>("lara.y_bias", bh * n);
    float* mu_bias = ws.get<float>("lara.mu_bias", bh * c);
    float* lq = ws.get<float>("lara.lq", bh * p * n);
    float* lk = ws.get<float>("lara.lk", bh * p * n);
    float* lse_k = ws.get<float>("lara.lse_k", bh * p);
    float* kv = ws.get<float>("lara.kv", bh * p * d);
    float* lmu = ws.get<float>("lara.lmu", bh * p * c);
    float* aux = kind == ops::MisKind::bh ? nullptr : ws.get<float>("lara.aux", bh * c * n);
    float* w = ws.get<float>("lara.weights", bh * n * p);

    // Proposals mu = q-bar + k-bar (segment means in scaled space).
    if (prm.get_string("proposals") == "segment_means") {
      const ops::SegmentShape seg{.batch = bh, .seq_len = n, .dim = d, .segments = c};
      ops::segment_means<float>(ctx, seg, scale, q.ptr<float>(), q_bar_);
      ops::segment_means<float>(ctx, seg, scale, k.ptr<float>(), k_bar_);
      ops::axpby<float>(ctx, bh * c * d, 1.0f, q_bar_, 0.0f, mu_);
      ops::axpby<float>(ctx, bh * c * d, 1.0f, k_bar_, 1.0f, mu_);
    }
    if (plan_.sample) {  // omega_p = mu_{p % C} + sd * eps_p
      ops::gather_rows<float>(ctx, {.batch = bh, .src_rows = c, .count = p, .dim = d, .shared_index = true}, repeat_,
                              mu_, 1.0f, 0.0f, omega);
      ops::axpby<float>(ctx, bh * p * d, static_cast<float>(noise_sd(s, prm)), noise_, 1.0f, omega);
    }

    // Log-features Lq = omega x^T - |x|^2/2, Lk = omega y^T - |y|^2/2 [P, N]; Lmu = omega mu^T - |mu|^2/2 [P, C].
    ops::row_sq_norms<float>(ctx, ops::row_shape(n, d, bh), -half_inv_sqrt_d, q.ptr<float>(), x_bias);
    ops::row_sq_norms<float>(ctx, ops::row_shape(n, d, bh), -half_inv_sqrt_d, k.ptr<float>(), y_bias);
    ops::row_sq_norms<float>(ctx, ops::row_shape(c, d, bh), -0.5f, mu_, mu_bias);
    const auto by_tokens = ops::gemm_shape(Trans::no, Trans::yes, p, n, d, bh);
    ops::gemm<float>(ctx, by_tokens, scale, omega, q.ptr<float>(), 0.0f, lq);
    ops::gemm<float>(ctx, by_tokens, scale, omega, k.ptr<float>(), 0.0f, lk);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, p, c, d, bh), 1.0f, omega, mu_, 0.0f, lmu);
    ops::add_bias<float>(ctx, ops::row_shape(p, n, bh), nullptr, x_bias, n, lq);
    ops::add_bias<float>(ctx, ops::row_shape(p, n, bh), nullptr, y_bias, n, lk);
    ops::add_bias<float>(ctx, ops::row_shape(p, c, bh), nullptr, mu_bias, c, lmu);

    // Per-sample values kv_p = softmax_m(Lk[p, :]) V, after keeping lse_m Lk[p, :].
    ops::softmax_rows_lse<float>(ctx, ops::row_shape(p, n, bh), lk, lse_k);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, p, d, n, bh), 1.0f, lk, v.ptr<float>(), 0.0f, kv);

    // alpha's auxiliary term: opt t = softmax of q-bar . x over queries ([C, N], the code) or over
    // proposals ([N, C], t_axis = proposals); biased: mu . x.
    const bool by_proposals = kind == ops::MisKind::opt && prm.get_string("t_axis") == "proposals";
    if (by_proposals) {
      ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, n, c, d, bh), scale, q.ptr<float>(), q_bar_, 0.0f,
                       aux);
      ops::softmax_rows<float>(ctx, {.rows = n, .cols = c, .ld = c, .stride = n * c, .batch = bh}, 1.0f, aux);
    } else if (aux) {
      const float* centre = kind == ops::MisKind::opt ? q_bar_ : mu_;
      ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, c, n, d, bh), scale, centre, q.ptr<float>(), 0.0f,
                       aux);
      if (kind == ops::MisKind::opt)
        ops::softmax_rows<float>(ctx, {.rows = c, .cols = n, .ld = n, .stride = c * n, .batch = bh}, 1.0f, aux);
    }
    ops::mis_weights<float>(ctx,
                            {.batch = bh, .proposals = c, .samples = plan_.samples, .queries = n, .kind = kind,
                             .alpha_coeff = prm.get_double("alpha_coeff"), .aux_query_major = by_proposals},
                            lq, lse_k, lmu, aux, w);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, n, d, p, bh), 1.0f, w, kv, 0.0f, out.ptr<float>());
  }

 private:
  MethodConfig config_;
  Plan plan_;
  float* q_bar_ = nullptr;
  float* k_bar_ = nullptr;
  float* mu_ = nullptr;
  float* noise_ = nullptr;
  int64_t* repeat_ = nullptr;
};

void apply_lara_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                       ParamSet& p, Realized& r) {
  if (s.causal) throw UnsupportedError("lara: not causal (the official README; landmarks mix in the future)");
  const bool sample = p.get_string("sampling") == "sample";
  const int64_t per = sample ? p.get_int("samples_per_proposal") : 1;
  if (sample && p.get_bool("antithetic") && per % 2 != 0)
    throw UsageError("antithetic: lara needs an even samples_per_proposal (pairs mu + eps, mu - eps)");
  if (budget.rank && !is_explicit(explicit_params, "num_landmarks")) {
    if (*budget.rank % per != 0)
      throw UsageError("rank: lara's rank is num_landmarks * samples_per_proposal; " + std::to_string(*budget.rank) +
                       " is not a multiple of " + std::to_string(per));
    p.set("num_landmarks", *budget.rank / per);
  }
  p.set("num_landmarks", std::min(p.get_int("num_landmarks"), s.seq_len));  // C >= N: one landmark per token
  r.rank = plan_of(s, p).rows();
}

double lara_flops(const CaseShape& s, const ParamSet& p) {
  const Plan plan = plan_of(s, p);
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
  const double c = static_cast<double>(plan.proposals), rows = static_cast<double>(plan.rows());
  // Segment means, Lq and Lk, Lmu, kv, the aux scores, softmaxes and MIS weights, then w kv.
  const double per_head = 2 * n * d + 2 * (2 * rows * n * d) + 2 * rows * c * d + 2 * rows * n * d + 2 * c * n * d +
                          10 * rows * n + 2 * n * rows * d;
  return static_cast<double>(s.heads_total()) * per_head;
}

double lara_workspace(const CaseShape& s, const ParamSet& p, int) {
  const Plan plan = plan_of(s, p);
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len),
               d = static_cast<double>(s.head_dim), c = static_cast<double>(plan.proposals),
               rows = static_cast<double>(plan.rows());
  const bool aux = p.get_string("mis") != "bh";
  double floats = 3 * c * d + 2 * n + c + 3 * rows * n + rows + rows * d + rows * c + (aux ? c * n : 0.0);
  if (plan.sample) floats += 2 * rows * d;  // noise and omega
  // mis_weights' per-proposal weights on the GPU (none on the CPU).
  const double mis = double(ops::mis_weights_scratch_bytes(
      {.batch = s.heads_total(), .proposals = plan.proposals, .samples = plan.samples, .queries = s.seq_len}, s.device));
  return bh * floats * sizeof(float) + (plan.sample ? rows * sizeof(int64_t) : 0.0) + mis;
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "lara",
    .family = "kernel",
    .summary = "LARA: self-normalized multiple importance sampling with segment-mean Gaussian proposals",
    .paper = "Zheng et al., Linear Complexity Randomized Self-attention Mechanism, ICML 2022",
    .params = {{.name = "num_landmarks", .type = ParamType::integer, .default_value = int64_t{49}, .min = 1,
                .max = 1 << 20, .doc = "proposals C (segments; C >= N: one per token)"},
               {.name = "sampling", .type = ParamType::string, .default_value = std::string("mean"),
                .choices = {"mean", "sample"},
                .doc = "mean: omega = mu (official inference, deterministic); sample: mu + noise"},
               {.name = "samples_per_proposal", .type = ParamType::integer, .default_value = int64_t{1}, .min = 1,
                .max = 1 << 12, .doc = "S draws per proposal in sample mode (rank = C S)"},
               {.name = "noise", .type = ParamType::string, .default_value = std::string("theory"),
                .choices = {"theory", "code_train"},
                .doc = "sample-mode noise: N(0, I) in scaled space, or the code's N(0, d^-1/2 I)"},
               {.name = "antithetic", .type = ParamType::boolean, .default_value = false,
                .doc = "sample mode: pairs mu + eps, mu - eps (the code's use_antithetics; S even)"},
               {.name = "mis", .type = ParamType::string, .default_value = std::string("opt"),
                .choices = {"opt", "bh", "biased"}, .doc = "MIS weights: mis-opt, balance heuristic, mis-biased"},
               {.name = "alpha_coeff", .type = ParamType::number, .default_value = 1.0, .min = 0, .max = 1e6,
                .doc = "mis-opt coefficient of the query-dependent correction"},
               {.name = "t_axis", .type = ParamType::string, .default_value = std::string("queries"),
                .choices = {"queries", "proposals"},
                .doc = "mis-opt t = softmax of q-bar . x over queries (the code) or over proposals"},
               {.name = "proposals", .type = ParamType::string, .default_value = std::string("segment_means"),
                .choices = {"segment_means", "zero"},
                .doc = "proposal centres: segment means of q and k, or zero (the Performer limit)"}},
    .budget_doc = "rank = proposals C x samples per proposal S (mean mode: C); C capped at N",
    .uses_rank = true,
    .supports_causal = false,
    .randomized = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(C S N d) time, O(C S N) memory",
    .apply_budget = apply_lara_budget,
    .flops = lara_flops,
    .workspace_bytes = lara_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Lara>(c); },
}};

}  // namespace
}  // namespace attn
