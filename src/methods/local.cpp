// local: exact softmax restricted to a local mask, renormalized over the mask.
//
// Paper: Xiong et al., "Simple Local Attentions Remain Competitive for Long-Context Tasks",
// NAACL 2022 (official code: xwhan/xformers, branch `language`). Card: shared/methods/sparse.md card 2.
// Variants: `sliding` (token-level window, |i - j| <= window; Longformer style) and `blocks`
// (disjoint blocks, i / block == j / block; the paper's block_noglobal).
// Approximates: softmax; the error is the probability mass outside the mask.
// Complexity: O(N (2w + 1) d) (sliding) or O(N b d) (blocks); memory O(N d) (streamed through the
// tiled exact kernel with whole tiles outside the mask skipped).
// Exactness: window >= N - 1, or block >= N, gives exact attention.
// Parameters: variant (sliding), window (radius; -1 = from sparsity, else 128), block (-1 = from
// sparsity, else 256).
// Budget: sparsity -> density rho = 1 - sparsity; sliding: w = max(0, round((rho N - 1) / 2));
// blocks: b = clamp(round(rho N), 1, N). realized_density = allowed pairs / N^2, counted exactly.
// Deviations: masked entries get probability exactly 0 (the official code adds -10000).
#include <algorithm>
#include <cmath>

#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/flash_attention.hpp"

namespace attn {
namespace {

constexpr int64_t kDefaultWindow = 128;
constexpr int64_t kDefaultBlock = 256;

ops::FlashShape local_shape(const CaseShape& s, const ParamSet& p) {
  ops::FlashShape f{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim};
  f.mask.causal = s.causal;
  if (p.get_string("variant") == "sliding")
    f.mask.window = p.get_int("window") >= 0 ? p.get_int("window") : kDefaultWindow;
  else
    f.mask.block = p.get_int("block") > 0 ? p.get_int("block") : kDefaultBlock;
  f.tiles = ops::default_flash_tiles(s.head_dim);
  return f;
}

class LocalAttention final : public Method {
 public:
  explicit LocalAttention(const MethodConfig& c) : shape_(local_shape(c.shape, c.params)) {}

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const float scale = 1.0f / std::sqrt(static_cast<float>(shape_.head_dim));
    ops::flash_attention<float>(ctx, shape_, scale, q.ptr<float>(), k.ptr<float>(), v.ptr<float>(), out.ptr<float>());
  }

  nlohmann::json diagnostics() const override {
    return {{"window", shape_.mask.window}, {"block", shape_.mask.block}};
  }

 private:
  ops::FlashShape shape_;
};

void apply_local_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                        ParamSet& p, Realized& r) {
  const int64_t n = s.seq_len;
  if (budget.sparsity) {
    const double rho = budget_density(budget);
    if (p.get_string("variant") == "sliding") {
      if (!is_explicit(explicit_params, "window"))
        p.set("window", std::min<int64_t>(n - 1, std::max<int64_t>(0, round_to_int((rho * n - 1) / 2))));
    } else if (!is_explicit(explicit_params, "block")) {
      p.set("block", std::clamp<int64_t>(round_to_int(rho * n), 1, n));
    }
  }
  const auto f = local_shape(s, p);
  p.set("window", f.mask.window);
  p.set("block", f.mask.block);
  r.density = static_cast<double>(f.mask.count_allowed(n)) / (static_cast<double>(n) * static_cast<double>(n));
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "local",
    .family = "sparse",
    .summary = "Softmax over a local mask: token sliding window or disjoint blocks (Xiong et al.)",
    .paper = "Xiong et al., Simple Local Attentions Remain Competitive for Long-Context Tasks, NAACL 2022",
    .params = {{.name = "variant", .type = ParamType::string, .default_value = std::string("sliding"),
                .choices = {"sliding", "blocks"}, .doc = "sliding: |i-j| <= window; blocks: disjoint blocks"},
               {.name = "window", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1,
                .doc = "sliding-window radius in tokens (-1: from sparsity, else 128)"},
               {.name = "block", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1,
                .doc = "disjoint block size in tokens (-1: from sparsity, else 256)"}},
    .budget_doc = "sparsity -> density rho = 1 - sparsity; sliding: window = round((rho N - 1)/2); "
                  "blocks: block = round(rho N)",
    .uses_sparsity = true,
    .supports_causal = true,
    .subquadratic = true,
    .complexity = "O(N w d) time, O(N d) memory",
    .apply_budget = apply_local_budget,
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const auto f = local_shape(s, p);
      return 4.0 * static_cast<double>(s.heads_total()) * static_cast<double>(f.mask.count_allowed(s.seq_len)) *
             static_cast<double>(s.head_dim);
    },
    .workspace_bytes = [](const CaseShape& s, const ParamSet& p, int threads) {
      return static_cast<double>(ops::flash_attention_scratch_bytes(local_shape(s, p), sizeof(float), threads));
    },
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<LocalAttention>(c); },
}};

}  // namespace
}  // namespace attn
