// cur: simple CUR of the unnormalized softmax scores with uniformly sampled rows and columns, then
// row normalization (Ray et al.'s simple CUR variants adapted to attention).
//
// Paper: Ray, Monath, McCallum, Musco, "Sublinear Time Approximation of Text Similarity Matrices",
// AAAI 2022 (code: archanray/approximate_similarities, CUR_alt). Card: shared/methods/lowrank.md card 2.
// Approximates: softmax, E = exp(Q K^T / sqrt d - c) ~ E[:, Sc] E[Sr, Sc]^+ E[Sr, :], row-normalized
// without an N x N product (methods/cur_common.hpp); U^+ by an fp64 SVD truncated at rcond.
//   skcur (default): Sr and Sc independent, s each;  sicur: Sr (s), Sc subset of Sr (s/2).
// Complexity: O(N s d + s^3) time, O(N s) memory. Not causal (a mask does not commute with C U^+ R).
// Exactness: s = N with rcond small enough that U^+ = U^-1 gives E exactly (well-conditioned E: N <= d).
// Parameters: samples (= rank; 64), variant (skcur), rcond (1e-2: without truncation unshifted CUR
// blows up, the card's test 5). Rows with a denominator <= 1e-6 median fall back to softmax over the
// sampled columns; their count is diagnostics.fallback_rows. Sampling: uniform without replacement,
// per head, one draw per case.
#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/cur_common.hpp"
#include "methods/registry.hpp"
#include "ops/sampling.hpp"

namespace attn {
namespace {

CurPlan plan_of(const ParamSet& p) {
  const int64_t s = p.get_int("samples");
  const bool sicur = p.get_string("variant") == "sicur";
  return {.rows = s, .cols = sicur ? std::max<int64_t>(1, s / 2) : s, .rcond = p.get_double("rcond")};
}

class Cur final : public Method {
 public:
  explicit Cur(const MethodConfig& c) : config_(c), plan_(plan_of(c.params)) {}

  void prepare(Context& ctx) override {
    // Data-independent draws happen on the host from the case's keys and are copied over, so the
    // CPU and GPU cases of one configuration use the same indices (DESIGN.md randomness rule).
    const int64_t bh = config_.shape.heads_total(), n = config_.shape.seq_len;
    const Rng rng(config_.seed, config_.rng_key, "cur/indices");
    Workspace host_ws(Device::cpu);
    const Context host{.device = Device::cpu, .workspace = &host_ws, .threads = ctx.threads};
    std::vector<int64_t> rows(static_cast<size_t>(bh * plan_.rows)), cols(static_cast<size_t>(bh * plan_.cols));
    ops::sample_without_replacement<float>(host, {.batch = bh, .n = n, .count = plan_.rows}, nullptr, nullptr, 0.0,
                                           rng.derive("rows"), 0, rows.data());
    if (config_.params.get_string("variant") == "sicur") {  // Sc: a uniform subset of Sr
      std::vector<int64_t> sub(cols.size());
      ops::sample_without_replacement<float>(host, {.batch = bh, .n = plan_.rows, .count = plan_.cols}, nullptr,
                                             nullptr, 0.0, rng.derive("subset"), 0, sub.data());
      for (int64_t b = 0; b < bh; ++b)
        for (int64_t i = 0; i < plan_.cols; ++i) cols[b * plan_.cols + i] = rows[b * plan_.rows + sub[b * plan_.cols + i]];
    } else {
      ops::sample_without_replacement<float>(host, {.batch = bh, .n = n, .count = plan_.cols}, nullptr, nullptr, 0.0,
                                             rng.derive("cols"), 0, cols.data());
    }
    rows_ = ctx.ws().get<int64_t>("cur.idx_rows", bh * plan_.rows);
    cols_ = ctx.ws().get<int64_t>("cur.idx_cols", bh * plan_.cols);
    copy_bytes(rows_, ctx.device, rows.data(), Device::cpu, rows.size() * sizeof(int64_t));
    copy_bytes(cols_, ctx.device, cols.data(), Device::cpu, cols.size() * sizeof(int64_t));
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    bad_rows_ = cur_attention(ctx, config_.shape, plan_, {.rows = rows_, .cols = cols_}, q.ptr<float>(),
                              k.ptr<float>(), v.ptr<float>(), out.ptr<float>(), &kept_rank_);
  }

  nlohmann::json diagnostics() const override {
    return {{"fallback_rows", bad_rows_}, {"pinv_rank", kept_rank_}};
  }

 private:
  MethodConfig config_;
  CurPlan plan_;
  int64_t* rows_ = nullptr;
  int64_t* cols_ = nullptr;
  int64_t bad_rows_ = 0, kept_rank_ = 0;
};

void apply_cur_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                      ParamSet& p, Realized& r) {
  apply_rank_within_seq_len(budget, explicit_params, p, "samples", s.seq_len);
  const CurPlan plan = plan_of(p);
  r.rank = std::min(plan.rows, plan.cols);
  const double n = static_cast<double>(s.seq_len), sr = static_cast<double>(plan.rows),
               sc = static_cast<double>(plan.cols);
  r.density = std::min(1.0, (n * sc + sr * n - sr * sc) / (n * n));
}

double cur_method_workspace(const CaseShape& s, const ParamSet& p, int) {
  const CurPlan plan = plan_of(p);
  return cur_workspace_bytes(s, plan) +
         static_cast<double>(s.heads_total() * (plan.rows + plan.cols)) * sizeof(int64_t);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "cur",
    .family = "low-rank",
    .summary = "CUR of exp(scores) from uniformly sampled rows/columns, truncated-SVD U^+, row-normalized",
    .paper = "Ray et al., Sublinear Time Approximation of Text Similarity Matrices, AAAI 2022",
    .params = {{.name = "samples", .type = ParamType::integer, .default_value = int64_t{64}, .min = 1,
                .max = 1 << 20, .doc = "sampled rows s (rank; columns s, or s/2 for sicur)"},
               {.name = "variant", .type = ParamType::string, .default_value = std::string("skcur"),
                .choices = {"skcur", "sicur"}, .doc = "independent rows and columns, or columns within the rows"},
               {.name = "rcond", .type = ParamType::number, .default_value = 1e-2, .min = 0, .max = 1,
                .doc = "relative SVD cut-off of the pseudo-inverse"}},
    .budget_doc = "rank = sampled rows s (columns s, or s/2 for sicur)",
    .uses_rank = true,
    .supports_causal = false,
    .randomized = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N s d + s^3) time, O(N s) memory",
    .apply_budget = apply_cur_budget,
    .flops = [](const CaseShape& s, const ParamSet& p) { return cur_flops(s, plan_of(p)); },
    .workspace_bytes = cur_method_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Cur>(c); },
}};

}  // namespace
}  // namespace attn
