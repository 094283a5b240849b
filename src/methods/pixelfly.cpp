// pixelfly: Pixelated Butterfly attention = flat block butterfly support + Scatterbrain low rank.
//
// Papers: Dao et al., "Pixelated Butterfly", ICLR 2022; Chen et al., "Scatterbrain", NeurIPS 2021
// (official code: HazyResearch/fly, FlatBlockButterflySparsityConfig + SBBlockSparseAttention).
// Card: sparse.md card 4 (report as "pixelfly-attn (fly layout + Scatterbrain)": the public code puts
// the butterfly on linear layers; this assembles the attention-matrix variant from its two pieces).
// Approximates: softmax. A_hat = M exp(s Q K^T) + (1 - M) phi(Q) phi(K)^T with Performer "cosh"
// features (methods/sparse_lowrank.hpp), normalized once; exact on the support.
// Complexity: O(nnz (d + m) + N m d) time, O(N (m + d)) memory (support streamed by the tiled kernel).
// Exactness: full layout (factors >= log2 B) with any rank equals softmax up to roundoff; rank 0
// equals masked softmax on the layout (= block-sparse-flash with layout=butterfly).
// Parameters: num_features (m = rank, rounded up to even; 32, the repo's low-rank rank), block (32),
// factors (k; -1: from sparsity, else 2), global_tokens (0: first tokens global both ways).
// Budget: rank -> m; sparsity -> rho = 1 - sparsity, B = nb rounded up to a power of two,
// k = clamp(round(rho nb - 1), 1, log2 B); realized_density = (1 + k) / B (+ global) counted with
// true extents; realized rank = m.
// Deviations: butterfly size B = next power of two >= nb with nonexistent blocks dropped (the
// official layout needs nb % B == 0); features drawn once per case from (seed, case,
// "pixelfly/features") (the official redraw period is pi: never redrawn). Not causal (the official
// block-sparse path has "TODO: check causal").
#include <cmath>

#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "methods/sparse_layouts.hpp"
#include "methods/sparse_lowrank.hpp"
#include "ops/block_layout.hpp"

namespace attn {
namespace {

constexpr int64_t kDefaultFactors = 2;

int64_t features(const ParamSet& p) { return (p.get_int("num_features") + 1) / 2 * 2; }

ops::BlockLayout layout(const CaseShape& s, const ParamSet& p) {
  const int64_t b = std::min(p.get_int("block"), s.seq_len);
  const int64_t k = p.get_int("factors") > 0 ? p.get_int("factors") : kDefaultFactors;
  return butterfly_for(s.seq_len, b, k, p.get_int("global_tokens"));
}

SparseLowRankShape core_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim, .features = features(p),
          .layout = {.block = std::min(p.get_int("block"), s.seq_len)}};
}

class Pixelfly final : public Method {
 public:
  explicit Pixelfly(const MethodConfig& c) : config_(c), shape_(core_shape(c.shape, c.params)) {}

  void prepare(Context& ctx) override {
    layout_ = layout(config_.shape, config_.params);
    shape_.layout = ops::upload_layout(ctx, layout_, "pixelfly.layout");
    w_ = draw_sparse_lowrank_projection(ctx, Rng(config_.seed, config_.rng_key, "pixelfly/features"), shape_.features,
                                        shape_.head_dim, "pixelfly.w");
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    sparse_lowrank_forward(ctx, shape_, w_, q.ptr<float>(), k.ptr<float>(), v.ptr<float>(), out.ptr<float>(),
                           "pixelfly");
  }

  nlohmann::json diagnostics() const override {
    return {{"block", layout_.block}, {"blocks", layout_.blocks}, {"butterfly_size", next_pow2(layout_.blocks)},
            {"factors", config_.params.get_int("factors")}, {"global_tokens", config_.params.get_int("global_tokens")},
            {"num_features", shape_.features}, {"active_blocks", layout_.active_blocks()}};
  }

 private:
  MethodConfig config_;
  SparseLowRankShape shape_;
  ops::BlockLayout layout_;
  float* w_ = nullptr;
};

// The layout's facts for the estimates (memoized: methods/sparse_layouts.hpp).
LayoutFacts facts(const CaseShape& s, const ParamSet& p) {
  return layout_facts("pixelfly", s, p, false, [&] { return layout(s, p); });
}

void apply_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                  ParamSet& p, Realized& r) {
  if (s.causal) throw UnsupportedError("pixelfly: not causal (the official block-sparse Scatterbrain path is not)");
  apply_rank(budget, explicit_params, p, "num_features");
  p.set("num_features", features(p));
  const int64_t b = std::min(p.get_int("block"), s.seq_len), nb = (s.seq_len + b - 1) / b;
  p.set("block", b);
  if (budget.sparsity && !is_explicit(explicit_params, "factors"))
    p.set("factors", butterfly_factors_for(budget_density(budget), nb));
  if (p.get_int("factors") <= 0) p.set("factors", kDefaultFactors);
  r.rank = features(p);
  r.density = facts(s, p).density;
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "pixelfly",
    .family = "hybrid",
    .summary = "Pixelated Butterfly attention: flat block butterfly support exact + Performer low rank off it "
               "(Scatterbrain combination)",
    .paper = "Dao et al., Pixelated Butterfly, ICLR 2022; Chen et al., Scatterbrain, NeurIPS 2021",
    .params = {{.name = "num_features", .type = ParamType::integer, .default_value = int64_t{32}, .min = 0,
                .max = 1 << 16, .doc = "Performer feature columns m (rank; rounded up to even; 0: no low rank)"},
               {.name = "block", .type = ParamType::integer, .default_value = int64_t{32}, .min = 1, .max = 4096,
                .doc = "block size in tokens"},
               {.name = "factors", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1, .max = 30,
                .doc = "butterfly factors k (-1: from sparsity, else 2)"},
               {.name = "global_tokens", .type = ParamType::integer, .default_value = int64_t{0}, .min = 0,
                .doc = "first tokens attended by and attending to all"}},
    .budget_doc = "rank -> num_features; sparsity -> factors = round(rho nb - 1) on a butterfly of nb (power of two)",
    .uses_rank = true,
    .uses_sparsity = true,
    .supports_causal = false,
    .randomized = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(nnz (d + m) + N m d) time, O(N (m + d)) memory",
    .apply_budget = apply_budget,
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
      const double m = static_cast<double>(features(p)), rho = facts(s, p).density;
      return static_cast<double>(s.heads_total()) * (rho * n * n * (4 * d + 2 * m + 2 * d) + 2 * n * d * m + 4 * n * m * d);
    },
    .workspace_bytes = [](const CaseShape& s, const ParamSet& p, int threads) {
      return sparse_lowrank_workspace_bytes(core_shape(s, p), threads, s.device) +
             facts(s, p).bytes;
    },
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Pixelfly>(c); },
}};

}  // namespace
}  // namespace attn
