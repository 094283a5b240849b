// bigbird: BigBird ITC block-sparse attention (window + global + random blocks).
//
// Paper: Zaheer et al., "Big Bird: Transformers for Longer Sequences", NeurIPS 2020 (official code:
// google-research/bigbird, bigbird/core/attention.py). Card: sparse.md card 3.
// Approximates: softmax restricted to the ITC block mask, renormalized over it (the official
// "simulated_sparse" reference): query blocks 0 and nb-1 attend to everything, every query block
// attends to blocks 0 and nb-1, to its 3-block window and to `rand_blocks` random blocks.
// Complexity: O(N (5 + r) b d + 2 b N d) time; memory O(N d) + the CSR (one layout per head).
// Exactness: a layout covering every block (rand_blocks >= nb - 4, or fewer than 5 blocks, where
// the official path does not exist and Hugging Face falls back to full attention) equals softmax.
// Parameters: block (64), rand_blocks (3; -1: from sparsity), random_sampler (uniform_legal: uniform
// over {1..nb-2} minus the window, without replacement; official_plan: the official pools, see
// ops/block_layout.cpp), drawn once per head from (seed, case, "bigbird/random").
// Budget: sparsity -> rho = 1 - sparsity; r = clamp(round((rho nb^2 - 7 nb + 12)/(nb - 2)), 0,
// nb - 5); realized_density = active entries / N^2 with true extents (when N % b == 0 and no
// duplicates: (7 nb - 12 + r (nb - 2)) / nb^2). Below the window+global floor rho_real > rho.
// Deviations: gather-free (the active blocks are visited through a CSR list by the tiled kernel
// instead of the official gathered K/V copies; same arithmetic); masked entries get probability 0
// (not -10000); N need not be a multiple of b (the last block is partial, its keys are real keys);
// a random block that repeats a window or global block (official_plan at N = 1024) is counted once,
// where the official code counts it twice.
#include <cmath>

#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "methods/sparse_layouts.hpp"
#include "ops/block_layout.hpp"

namespace attn {
namespace {

constexpr int64_t kDefaultRandBlocks = 3;

ops::BigBirdSampler sampler(const ParamSet& p) {
  return p.get_string("random_sampler") == "official_plan" ? ops::BigBirdSampler::official_plan
                                                           : ops::BigBirdSampler::uniform_legal;
}

int64_t rand_blocks(const ParamSet& p) {
  return p.get_int("rand_blocks") >= 0 ? p.get_int("rand_blocks") : kDefaultRandBlocks;
}

ops::BlockLayout layout(const CaseShape& s, const ParamSet& p, const Rng& rng) {
  return bigbird_for(s, p.get_int("block"), rand_blocks(p), sampler(p), rng);
}

ops::FlashShape base_shape(const CaseShape& s, const ParamSet& p) {
  ops::FlashShape f{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim};
  f.tiles = ops::default_flash_tiles(s.head_dim);
  f.tiles.block_q = std::min<int64_t>(f.tiles.block_q, p.get_int("block"));
  return f;
}

class BigBird final : public Method {
 public:
  explicit BigBird(const MethodConfig& c) : config_(c), shape_(base_shape(c.shape, c.params)) {}

  void prepare(Context& ctx) override {
    layout_ = layout(config_.shape, config_.params, Rng(config_.seed, config_.rng_key, "bigbird/random"));
    shape_.layout = ops::upload_layout(ctx, layout_, "bigbird.layout");
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const float scale = 1.0f / std::sqrt(static_cast<float>(shape_.head_dim));
    ops::flash_attention<float>(ctx, shape_, scale, q.ptr<float>(), k.ptr<float>(), v.ptr<float>(), out.ptr<float>());
  }

  nlohmann::json diagnostics() const override {
    return {{"block", layout_.block}, {"blocks", layout_.blocks}, {"rand_blocks", rand_blocks(config_.params)},
            {"random_sampler", config_.params.get_string("random_sampler")},
            {"fallback_full", layout_.blocks < 5}, {"active_blocks", layout_.active_blocks()},
            {"density", layout_.density()}};
  }

 private:
  MethodConfig config_;
  ops::FlashShape shape_;
  ops::BlockLayout layout_;
};

// The estimate layout's facts (memoized: methods/sparse_layouts.hpp).
LayoutFacts facts(const CaseShape& s, const ParamSet& p) {
  return layout_facts("bigbird", s, p, false, [&] { return layout(s, p, Rng(0)); });
}

void apply_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                  ParamSet& p, Realized& r) {
  const int64_t b = std::min(p.get_int("block"), s.seq_len);
  p.set("block", b);
  const int64_t nb = (s.seq_len + b - 1) / b;
  if (budget.sparsity && !is_explicit(explicit_params, "rand_blocks"))
    p.set("rand_blocks", bigbird_rand_blocks_for(budget_density(budget), nb));
  p.set("rand_blocks", rand_blocks(p));
  r.density = facts(s, p).density;
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "bigbird",
    .family = "sparse",
    .summary = "BigBird ITC: 3-block window + first/last global blocks + random blocks, as a block-sparse exact kernel",
    .paper = "Zaheer et al., Big Bird: Transformers for Longer Sequences, NeurIPS 2020",
    .params = {{.name = "block", .type = ParamType::integer, .default_value = int64_t{64}, .min = 1, .max = 4096,
                .doc = "block size b in tokens"},
               {.name = "rand_blocks", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1,
                .doc = "random key blocks per query block r (-1: from sparsity, else 3)"},
               {.name = "random_sampler", .type = ParamType::string, .default_value = std::string("uniform_legal"),
                .choices = {"uniform_legal", "official_plan"},
                .doc = "uniform over legal blocks, or the official code's pools (front-loaded)"}},
    .budget_doc = "sparsity -> rho = 1 - sparsity; rand_blocks = round((rho nb^2 - 7 nb + 12)/(nb - 2)), "
                  "clamped to [0, nb - 5]",
    .uses_sparsity = true,
    .supports_causal = false,
    .randomized = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N (5 + r) b d) time, O(N d) memory",
    .apply_budget = apply_budget,
    .flops = [](const CaseShape& s, const ParamSet& p) {
      return 4.0 * static_cast<double>(s.heads_total()) * facts(s, p).density *
             static_cast<double>(s.seq_len) * static_cast<double>(s.seq_len) * static_cast<double>(s.head_dim);
    },
    .workspace_bytes = [](const CaseShape& s, const ParamSet& p, int threads) {
      return static_cast<double>(
                 ops::flash_attention_scratch_bytes(base_shape(s, p), sizeof(float), threads, s.device)) +
             facts(s, p).bytes;
    },
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<BigBird>(c); },
}};

}  // namespace
}  // namespace attn
