// sms-nystrom: submatrix-shifted Nystrom of the unnormalized softmax scores, row-normalized.
//
// Paper: Ray, Monath, McCallum, Musco, "Sublinear Time Approximation of Text Similarity Matrices",
// AAAI 2022 (code: archanray/approximate_similarities, nystrom_with_eig_estimate_sub with mult=2,
// eig_mult=1.5). Card: shared/methods/lowrank.md card 2 (harness adaptation to attention).
// Approximates: softmax. S1 (s1 = min(2s, N) tokens) and S2 subset of S1 (s tokens) uniform without
// replacement; e = min(0, lambda_min(sym E[S1, S1])); E ~ E[:, S2] (E[S2, S2] - alpha e I)^+ E[S2, :]
// with E = exp(Q K^T / sqrt d - c), row-normalized without an N x N product (methods/cur_common.hpp).
// When Q != K the shift acts as data-driven Tikhonov regularization; for Q = K it is the paper's
// algorithm. The card measured it flat in s on mild inputs (over-regularized), never a bad row.
// Complexity: O(N s d + s1^3) time, O(N s + s1^2) memory. Not causal.
// Exactness: s = N with alpha = 0 reproduces E (well-conditioned E: N <= d).
// Parameters: samples (= rank; 64), alpha (1.5), rcond (1e-10). Diagnostics: fallback_rows (den <= 1e-6
// median, replaced by softmax over the sampled columns), pinv_rank.
#include <vector>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/cur_common.hpp"
#include "methods/registry.hpp"
#include "ops/sampling.hpp"

namespace attn {
namespace {

CurPlan plan_of(const ParamSet& p, int64_t n) {
  const int64_t s = p.get_int("samples");
  return {.rows = s, .cols = s, .shift_rows = std::min(2 * s, n), .same_index = true, .rcond = p.get_double("rcond"),
          .alpha = p.get_double("alpha")};
}

class SmsNystrom final : public Method {
 public:
  explicit SmsNystrom(const MethodConfig& c) : config_(c), plan_(plan_of(c.params, c.shape.seq_len)) {}

  void prepare(Context& ctx) override {
    const int64_t bh = config_.shape.heads_total(), n = config_.shape.seq_len, s = plan_.rows, s1 = plan_.shift_rows;
    const Rng rng(config_.seed, config_.rng_key, "sms-nystrom/indices");
    // Drawn on the host from the case's keys and copied, as every data-independent draw.
    Workspace host_ws(Device::cpu);
    const Context host{.device = Device::cpu, .workspace = &host_ws, .threads = ctx.threads};
    std::vector<int64_t> big(static_cast<size_t>(bh * s1)), sub(static_cast<size_t>(bh * s)), s2(sub.size());
    ops::sample_without_replacement<float>(host, {.batch = bh, .n = n, .count = s1}, nullptr, nullptr, 0.0,
                                           rng.derive("s1"), 0, big.data());
    ops::sample_without_replacement<float>(host, {.batch = bh, .n = s1, .count = s}, nullptr, nullptr, 0.0,
                                           rng.derive("s2"), 0, sub.data());
    for (int64_t b = 0; b < bh; ++b)
      for (int64_t i = 0; i < s; ++i) s2[b * s + i] = big[b * s1 + sub[b * s + i]];
    s1_ = ctx.ws().get<int64_t>("sms.idx_s1", bh * s1);
    s2_ = ctx.ws().get<int64_t>("sms.idx_s2", bh * s);
    copy_bytes(s1_, ctx.device, big.data(), Device::cpu, big.size() * sizeof(int64_t));
    copy_bytes(s2_, ctx.device, s2.data(), Device::cpu, s2.size() * sizeof(int64_t));
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    bad_rows_ = cur_attention(ctx, config_.shape, plan_, {.rows = s2_, .cols = s2_, .shift = s1_}, q.ptr<float>(),
                              k.ptr<float>(), v.ptr<float>(), out.ptr<float>(), &kept_rank_);
  }

  nlohmann::json diagnostics() const override {
    return {{"fallback_rows", bad_rows_}, {"pinv_rank", kept_rank_}};
  }

 private:
  MethodConfig config_;
  CurPlan plan_;
  int64_t* s1_ = nullptr;
  int64_t* s2_ = nullptr;
  int64_t bad_rows_ = 0, kept_rank_ = 0;
};

void apply_sms_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                      ParamSet& p, Realized& r) {
  const int64_t m = apply_rank_within_seq_len(budget, explicit_params, p, "samples", s.seq_len);
  const CurPlan plan = plan_of(p, s.seq_len);
  r.rank = m;
  const double n = static_cast<double>(s.seq_len), sm = static_cast<double>(m), s1 = static_cast<double>(plan.shift_rows);
  r.density = std::min(1.0, (2 * n * sm - sm * sm + s1 * s1) / (n * n));
}

double sms_workspace(const CaseShape& s, const ParamSet& p, int) {
  const CurPlan plan = plan_of(p, s.seq_len);
  return cur_workspace_bytes(s, plan) +
         static_cast<double>(s.heads_total() * (plan.rows + plan.shift_rows)) * sizeof(int64_t);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "sms-nystrom",
    .family = "low-rank",
    .summary = "Submatrix-shifted Nystrom of exp(scores): eigenvalue shift from a 2s block, row-normalized",
    .paper = "Ray et al., Sublinear Time Approximation of Text Similarity Matrices, AAAI 2022",
    .params = {{.name = "samples", .type = ParamType::integer, .default_value = int64_t{64}, .min = 1,
                .max = 1 << 20, .doc = "landmark tokens s (rank); the shift block has min(2s, N)"},
               {.name = "alpha", .type = ParamType::number, .default_value = 1.5, .min = 0, .max = 1e6,
                .doc = "eigenvalue shift multiplier (eig_mult)"},
               {.name = "rcond", .type = ParamType::number, .default_value = 1e-10, .min = 0, .max = 1,
                .doc = "relative SVD cut-off of the pseudo-inverse"}},
    .budget_doc = "rank = sampled tokens s (S2); S1 = min(2s, N)",
    .uses_rank = true,
    .supports_causal = false,
    .randomized = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N s d + s^3) time, O(N s + s^2) memory",
    .apply_budget = apply_sms_budget,
    .flops = [](const CaseShape& s, const ParamSet& p) { return cur_flops(s, plan_of(p, s.seq_len)); },
    .workspace_bytes = sms_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<SmsNystrom>(c); },
}};

}  // namespace
}  // namespace attn
