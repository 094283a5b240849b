// local: exact softmax restricted to a local mask, renormalized over the mask.
//
// Paper: Xiong et al., "Simple Local Attentions Remain Competitive for Long-Context Tasks",
// NAACL 2022 (official code: xwhan/xformers, branch `language`). Card: shared/methods/sparse.md card 2.
// Variants: `sliding` (A: token window |i - j| <= window; Longformer style), `blocks` (B: disjoint
// blocks, i / block == j / block; the paper's block_noglobal), `block_sw` (D: blockwise sliding
// window; query block [t0, t0 + b) sees keys [t0 - e, t0 + b + e), e = max(b / 2, 1); block_sw.py),
// `blocks_global` (C: disjoint blocks plus global tokens, the first `global_tokens` tokens of every
// block (block.py): a non-global query takes one softmax over its block and all global keys, each
// key once; a global query gets the exact full row).
// Approximates: softmax; the error is the probability mass outside the mask.
// Complexity: A O(N (2w + 1) d); B O(N b d); D O(2 N b d); C O(N b d + 2 g N d). Memory O(N d)
// (streamed through the tiled exact kernel, whole tiles outside the mask skipped; C also holds
// gathered copies of Q, K, V and two partial outputs, O(N d)).
// Exactness: window >= N - 1, or block >= N (B, C, D), gives exact attention.
// Parameters: variant (sliding), window (radius; -1 = from sparsity, else 128), block (-1 = from
// sparsity, else 256), global_tokens (C: global tokens per block; -1: max(1, block / 16), the
// official 64 per 1024).
// Budget: sparsity -> density rho = 1 - sparsity; A: w = max(0, round((rho N - 1) / 2)); B, C:
// b = clamp(round(rho N), 1, N); D: b = clamp(round(rho N / 2), 1, N). realized_density = allowed
// pairs / N^2, counted exactly (C: g N + (N - g) g + sum over non-global i of |block(i) \ G|).
// Causal: A yes; B and D block-causal (j <= i inside the window); C not (the official code is
// bidirectional).
// Deviations: masked entries get probability exactly 0 (the official code adds -10000); C merges the
// local and the global part by their log-sum-exp instead of one concatenated softmax (same result).
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/device_memory.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/flash_attention.hpp"
#include "ops/gather.hpp"
#include "ops/merge_partials.hpp"

namespace attn {
namespace {

constexpr int64_t kDefaultWindow = 128;
constexpr int64_t kDefaultBlock = 256;

int64_t block_of(const ParamSet& p) { return p.get_int("block") > 0 ? p.get_int("block") : kDefaultBlock; }

int64_t global_per_block(const ParamSet& p) {
  const int64_t g = p.get_int("global_tokens");
  return g >= 0 ? g : std::max<int64_t>(1, block_of(p) / 16);
}

ops::FlashShape local_shape(const CaseShape& s, const ParamSet& p) {
  ops::FlashShape f{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim};
  f.mask.causal = s.causal;
  const auto& variant = p.get_string("variant");
  if (variant == "sliding") {
    f.mask.window = p.get_int("window") >= 0 ? p.get_int("window") : kDefaultWindow;
  } else {
    f.mask.block = block_of(p);
    if (variant == "block_sw") f.mask.block_halo = std::max<int64_t>(f.mask.block / 2, 1);
  }
  f.tiles = ops::default_flash_tiles(s.head_dim);
  return f;
}

// Global token positions of variant C (ascending) and the rest.
void split_global(int64_t n, int64_t block, int64_t per_block, std::vector<int64_t>& global, std::vector<int64_t>& rest) {
  global.clear();
  rest.clear();
  for (int64_t i = 0; i < n; ++i) (i % block < per_block ? global : rest).push_back(i);
}

int64_t count_global_pairs(int64_t n, int64_t block, int64_t per_block) {
  std::vector<int64_t> g, rest;
  split_global(n, block, per_block, g, rest);
  const auto ng = static_cast<int64_t>(g.size());
  int64_t local = 0;  // sum over non-global i of |block(i) \ G|
  for (int64_t start = 0; start < n; start += block) {
    const int64_t own = std::max<int64_t>(0, std::min(block, n - start) - per_block);
    local += own * own;
  }
  return ng * n + (n - ng) * ng + local;
}

class LocalAttention final : public Method {
 public:
  explicit LocalAttention(const MethodConfig& c) : config_(c), shape_(local_shape(c.shape, c.params)) {}

  void prepare(Context& ctx) override {
    if (config_.params.get_string("variant") != "blocks_global") return;
    std::vector<int64_t> g, rest;
    split_global(shape_.seq_len, shape_.mask.block, global_per_block(config_.params), g, rest);
    global_ = static_cast<int64_t>(g.size());
    global_idx_ = upload(ctx, "local.global_idx", g);
    rest_idx_ = upload(ctx, "local.rest_idx", rest);
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const float scale = 1.0f / std::sqrt(static_cast<float>(shape_.head_dim));
    if (config_.params.get_string("variant") != "blocks_global") {
      ops::flash_attention<float>(ctx, shape_, scale, q.ptr<float>(), k.ptr<float>(), v.ptr<float>(), out.ptr<float>());
      return;
    }
    forward_global(ctx, scale, q.ptr<float>(), k.ptr<float>(), v.ptr<float>(), out.ptr<float>());
  }

  nlohmann::json diagnostics() const override {
    nlohmann::json j = {{"window", shape_.mask.window}, {"block", shape_.mask.block}, {"halo", shape_.mask.block_halo}};
    if (config_.params.get_string("variant") == "blocks_global") j["global_tokens_total"] = global_;
    return j;
  }

 private:
  static int64_t* upload(Context& ctx, const char* key, const std::vector<int64_t>& x) {
    auto* p = ctx.ws().get<int64_t>(key, std::max<int64_t>(1, static_cast<int64_t>(x.size())));
    copy_bytes(p, ctx.device, x.data(), Device::cpu, x.size() * sizeof(int64_t));
    return p;
  }

  // Variant C: global rows attend to all keys; the other rows merge a disjoint-block pass over the
  // non-global tokens (compacted, blocks of block - per_block) with a pass over the global keys.
  void forward_global(Context& ctx, float scale, const float* q, const float* k, const float* v, float* out) {
    const int64_t bh = shape_.batch, n = shape_.seq_len, d = shape_.head_dim, g = global_, r = n - g;
    const int64_t per_block = global_per_block(config_.params);
    auto buf = [&](const char* key, int64_t count) { return ctx.ws().get<float>(key, std::max<int64_t>(1, count)); };
    float* xg = buf("local.xg", 3 * bh * g * d);  // gathered global Q, K, V
    float* xr = buf("local.xr", 3 * bh * r * d);  // gathered non-global Q, K, V
    float* og = buf("local.og", bh * g * d);
    float* o1 = buf("local.o1", bh * r * d);
    float* o2 = buf("local.o2", bh * r * d);
    float* lse = buf("local.lse", 2 * bh * r);
    const ops::GatherShape gs{.batch = bh, .src_rows = n, .count = g, .dim = d, .shared_index = true};
    const ops::GatherShape rs{.batch = bh, .src_rows = n, .count = r, .dim = d, .shared_index = true};
    const float* src[3] = {q, k, v};
    for (int t = 0; t < 3; ++t) {
      if (g > 0) ops::gather_rows<float>(ctx, gs, global_idx_, src[t], 1.0f, 0.0f, xg + t * bh * g * d);
      if (r > 0) ops::gather_rows<float>(ctx, rs, rest_idx_, src[t], 1.0f, 0.0f, xr + t * bh * r * d);
    }
    ops::FlashShape f = shape_;
    f.mask = {};
    if (g > 0) {  // global rows: exact full rows
      f.seq_len = g;
      f.seq_len_k = n;
      ops::flash_attention<float>(ctx, f, scale, xg, k, v, og);
      ops::scatter_rows<float>(ctx, gs, global_idx_, og, out);
    }
    if (r == 0) return;
    f.seq_len = r;
    f.seq_len_k = 0;
    f.mask.block = shape_.mask.block - per_block;  // the non-global part of every block, compacted
    ops::flash_attention<float>(ctx, f, scale, xr, xr + bh * r * d, xr + 2 * bh * r * d, o1, lse);
    if (g > 0) {
      f.mask = {};
      f.seq_len_k = g;
      ops::flash_attention<float>(ctx, f, scale, xr, xg + bh * g * d, xg + 2 * bh * g * d, o2, lse + bh * r);
      ops::merge_partials<float>(ctx, {.batch = bh, .rows = r, .dim = d}, o1, lse, o2, nullptr, lse + bh * r, nullptr,
                                 nullptr, nullptr, o1);
    }
    ops::scatter_rows<float>(ctx, rs, rest_idx_, o1, out);
  }

  MethodConfig config_;
  ops::FlashShape shape_;
  int64_t global_ = 0;
  int64_t* global_idx_ = nullptr;
  int64_t* rest_idx_ = nullptr;
};

void apply_local_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                        ParamSet& p, Realized& r) {
  const int64_t n = s.seq_len;
  const auto& variant = p.get_string("variant");
  if (budget.sparsity) {
    const double rho = budget_density(budget);
    if (variant == "sliding") {
      if (!is_explicit(explicit_params, "window"))
        p.set("window", std::min<int64_t>(n - 1, std::max<int64_t>(0, round_to_int((rho * n - 1) / 2))));
    } else if (!is_explicit(explicit_params, "block")) {
      const double tokens = variant == "block_sw" ? rho * n / 2 : rho * n;
      p.set("block", std::clamp<int64_t>(round_to_int(tokens), 1, n));
    }
  }
  const auto f = local_shape(s, p);
  p.set("window", f.mask.window);
  p.set("block", f.mask.block);
  const double n2 = static_cast<double>(n) * static_cast<double>(n);
  if (variant != "blocks_global") {
    r.density = static_cast<double>(f.mask.count_allowed(n)) / n2;
    return;
  }
  if (s.causal) throw UnsupportedError("local: variant blocks_global is bidirectional only (as the official code)");
  const int64_t per_block = global_per_block(p);
  p.set("global_tokens", per_block);
  if (per_block >= f.mask.block)
    throw UnsupportedError("local: global_tokens must be below the block size (every token would be global)");
  r.density = static_cast<double>(count_global_pairs(n, f.mask.block, per_block)) / n2;
}

double local_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const auto f = local_shape(s, p);
  const double tiles = static_cast<double>(ops::flash_attention_scratch_bytes(f, sizeof(float), threads, s.device));
  if (p.get_string("variant") != "blocks_global") return tiles;
  const double n = static_cast<double>(s.seq_len), bh = static_cast<double>(s.heads_total());
  const double d = static_cast<double>(s.head_dim);
  // gathered Q, K, V (3 N d), three partial outputs over N rows in all (g + 2 r <= 2 N), LSEs, indices.
  return tiles + 4.0 * bh * (3 * n * d + 2 * n * d + 2 * n) + 8.0 * n;
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "local",
    .family = "sparse",
    .summary = "Softmax over a local mask: token sliding window, disjoint blocks (+ global tokens), blockwise "
               "sliding window (Xiong et al.)",
    .paper = "Xiong et al., Simple Local Attentions Remain Competitive for Long-Context Tasks, NAACL 2022",
    .params = {{.name = "variant", .type = ParamType::string, .default_value = std::string("sliding"),
                .choices = {"sliding", "blocks", "block_sw", "blocks_global"},
                .doc = "sliding: |i-j| <= window; blocks: disjoint blocks; block_sw: blocks see +-block/2 more keys; "
                       "blocks_global: blocks + global tokens"},
               {.name = "window", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1,
                .doc = "sliding-window radius in tokens (-1: from sparsity, else 128)"},
               {.name = "block", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1,
                .doc = "block size in tokens (-1: from sparsity, else 256)"},
               {.name = "global_tokens", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1,
                .doc = "blocks_global: global tokens at the start of every block (-1: max(1, block/16))"}},
    .budget_doc = "sparsity -> density rho = 1 - sparsity; sliding: window = round((rho N - 1)/2); "
                  "blocks, blocks_global: block = round(rho N); block_sw: block = round(rho N / 2)",
    .uses_sparsity = true,
    .supports_causal = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N w d) time, O(N d) memory",
    .apply_budget = apply_local_budget,
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const auto f = local_shape(s, p);
      const int64_t pairs = p.get_string("variant") == "blocks_global"
                                ? count_global_pairs(s.seq_len, f.mask.block, global_per_block(p))
                                : f.mask.count_allowed(s.seq_len);
      return 4.0 * static_cast<double>(s.heads_total()) * static_cast<double>(pairs) * static_cast<double>(s.head_dim);
    },
    .workspace_bytes = local_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<LocalAttention>(c); },
}};

}  // namespace
}  // namespace attn
