// mra: multi-resolution attention, MRA-2 (mode full) and MRA-2-s (mode sparse).
//
// Paper: Zeng et al., "Multi Resolution Analysis (MRA) for Approximate Self-Attention", ICML 2022
// (official code: mlpen/mra-attention, mra2_kernel/attention.py). Card: sparse.md card 5.
// Approximates: softmax. Blocks of 32 tokens; the num_blocks (query block, key block) pairs with the
// largest row-normalized low-resolution logit s q_a.k_b - max_b' (block means, plus priors) are
// selected globally over the nb x nb matrix and computed exactly; in full mode every other block
// contributes count_b exp(s q_a.k_b) mean(v_b) (exp of the averaged logit), with one normalizer.
// Sparse mode drops the low-resolution term (a row with no selected block outputs 0).
// Complexity: O(N^2 d / 1024) for the low-resolution logits and top-k over nb^2, O(k 1024 d) for the
// selected blocks (the tiled exact kernel over a CSR built on the device), memory O(nb^2 + N d).
// Exactness: num_blocks = nb^2 equals softmax (both modes).
// Parameters: mode (full), num_blocks (-1: from sparsity, else 4 per block row, the Hugging Face
// block_per_row), block (32, the official hard-coded size), diag_prior (0), first_prior (0).
// Budget: sparsity -> rho = 1 - sparsity; num_blocks = clamp(round(rho nb^2), 1, nb^2);
// realized_density = num_blocks 1024 / N^2 (exact when N % 32 == 0; otherwise an upper bound, the
// last partial block counted full). Diagnostics: lowres_blocks = nb^2 - num_blocks (full mode).
// Deviations: exact float row max (the official CUDA max is quantized to 1e-3); the high-resolution
// mask is the selected index set (the official threshold can drop tied blocks); the two terms are
// merged through their log-sum-exp (no +1e-6 in the denominator); N need not be a multiple of 32
// (the last block's mean and count use its real tokens, as the official padded path does).
#include <cmath>
#include <limits>
#include <vector>

#include "core/device_memory.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/block_layout.hpp"
#include "ops/gemm.hpp"
#include "ops/merge_partials.hpp"
#include "ops/rowwise.hpp"
#include "ops/softmax.hpp"
#include "ops/topk.hpp"
#include "ops/window_pool.hpp"

namespace attn {
namespace {

constexpr double kPrior = 5000.0;  // the official priority offset

int64_t blocks(const CaseShape& s, const ParamSet& p) {
  return (s.seq_len + p.get_int("block") - 1) / p.get_int("block");
}

int64_t num_blocks(const CaseShape& s, const ParamSet& p) {
  const int64_t nb = blocks(s, p);
  const int64_t k = p.get_int("num_blocks");
  return std::min(nb * nb, k > 0 ? k : 4 * nb);
}

class Mra final : public Method {
 public:
  explicit Mra(const MethodConfig& c) : config_(c) {}

  void prepare(Context& ctx) override {
    const int64_t nb = blocks(config_.shape, config_.params), b = config_.params.get_int("block");
    const int64_t n = config_.shape.seq_len;
    std::vector<float> log_count(static_cast<size_t>(nb)), prior(static_cast<size_t>(nb * nb), 0.0f);
    for (int64_t j = 0; j < nb; ++j) log_count[j] = std::log(static_cast<float>(std::min(b, n - j * b)));
    const int64_t diag = config_.params.get_int("diag_prior"), first = config_.params.get_int("first_prior");
    for (int64_t a = 0; a < nb; ++a)
      for (int64_t c = 0; c < nb; ++c) {
        if (diag > 0 && std::abs(a - c) <= diag / 2) prior[a * nb + c] += kPrior;
        if (first > 0 && (a < first || c < first)) prior[a * nb + c] += kPrior;
      }
    has_prior_ = diag > 0 || first > 0;
    log_count_ = ctx.ws().get<float>("mra.log_count", nb);
    copy_bytes(log_count_, ctx.device, log_count.data(), Device::cpu, log_count.size() * sizeof(float));
    if (has_prior_) {
      prior_ = ctx.ws().get<float>("mra.prior", nb * nb);
      copy_bytes(prior_, ctx.device, prior.data(), Device::cpu, prior.size() * sizeof(float));
    }
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim, b = config_.params.get_int("block");
    const int64_t nb = blocks(s, config_.params), sel = num_blocks(s, config_.params), nb2 = nb * nb;
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    auto& ws = ctx.ws();
    float* means = ws.get<float>("mra.means", 3 * bh * nb * d);  // Q, K, V block means
    float* logits = ws.get<float>("mra.logits", bh * nb2);
    float* prio = ws.get<float>("mra.priority", bh * nb2);
    float* row_max = ws.get<float>("mra.row_max", bh * nb);
    auto* idx = ws.get<int64_t>("mra.selected", bh * sel);
    auto* row_ptr = ws.get<int64_t>("mra.row_ptr", bh * nb + 1);
    auto* col_idx = ws.get<int64_t>("mra.col_idx", std::max<int64_t>(1, bh * sel));
    float* lse_hi = ws.get<float>("mra.lse_hi", bh * n);

    const ops::WindowPoolShape pool{.batch = bh, .seq_len = n, .dim = d, .stride = b};
    const float* src[3] = {q.ptr<float>(), k.ptr<float>(), v.ptr<float>()};
    for (int t = 0; t < 3; ++t) ops::window_pool<float>(ctx, pool, src[t], means + t * bh * nb * d);
    const float *qm = means, *km = means + bh * nb * d, *vm = means + 2 * bh * nb * d;
    auto g = ops::gemm_shape(ops::Trans::no, ops::Trans::yes, nb, nb, d, bh);
    ops::gemm<float>(ctx, g, scale, qm, km, 0.0f, logits);

    // Priority: logits minus their block-row max (plus priors), selected globally per head.
    const ops::RowShape rows = ops::row_shape(nb, nb, bh);
    ops::block_max<float>(ctx, ops::row_shape(1, nb, bh * nb), false, logits, row_max);
    ops::axpby<float>(ctx, bh * nb2, 1.0f, logits, 0.0f, prio);
    ops::axpby<float>(ctx, bh * nb, -1.0f, row_max, 0.0f, row_max);
    ops::add_bias<float>(ctx, rows, row_max, nullptr, 0, prio);
    if (has_prior_)
      for (int64_t h = 0; h < bh; ++h) ops::axpby<float>(ctx, nb2, 1.0f, prior_, 1.0f, prio + h * nb2);
    ops::topk_indices<float>(ctx, bh, nb2, sel, prio, idx);
    ops::layout_from_indices(ctx, bh, nb, sel, idx, row_ptr, col_idx);

    ops::FlashShape f{.batch = bh, .seq_len = n, .head_dim = d};
    f.tiles = ops::default_flash_tiles(d);
    f.tiles.block_q = std::min<int64_t>(f.tiles.block_q, b);
    f.layout = {.block = b, .heads = bh, .row_ptr = row_ptr, .col_idx = col_idx};
    ops::flash_attention<float>(ctx, f, scale, q.ptr<float>(), k.ptr<float>(), v.ptr<float>(), out.ptr<float>(),
                                lse_hi);
    if (config_.params.get_string("mode") == "sparse" || sel == nb2) return;

    // Low resolution over the unselected blocks: softmax of logit + log count_b, selected blocks
    // excluded (-inf), times the block means of V; then one normalizer with the exact part.
    float* lse_lo = ws.get<float>("mra.lse_lo", bh * nb);
    float* o_lo = ws.get<float>("mra.o_lo", bh * nb * d);
    ops::add_bias<float>(ctx, rows, nullptr, log_count_, 0, logits);
    ops::fill_at<float>(ctx, bh, nb2, sel, idx, -std::numeric_limits<float>::infinity(), logits);
    ops::row_logsumexp<float>(ctx, rows, logits, lse_lo);
    ops::softmax_rows<float>(ctx, {.rows = nb, .cols = nb, .ld = nb, .stride = nb2, .batch = bh}, 1.0f, logits);
    ops::gemm<float>(ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, nb, d, nb, bh), 1.0f, logits, vm, 0.0f, o_lo);
    ops::merge_partials<float>(ctx, {.batch = bh, .rows = n, .dim = d, .group = b}, out.ptr<float>(), lse_hi, o_lo,
                               nullptr, lse_lo, nullptr, nullptr, nullptr, out.ptr<float>());
  }

  nlohmann::json diagnostics() const override {
    const int64_t nb = blocks(config_.shape, config_.params), sel = num_blocks(config_.shape, config_.params);
    const bool full = config_.params.get_string("mode") == "full";
    return {{"mode", config_.params.get_string("mode")}, {"blocks", nb}, {"num_blocks", sel},
            {"lowres_blocks", full ? nb * nb - sel : 0}, {"diag_prior", config_.params.get_int("diag_prior")},
            {"first_prior", config_.params.get_int("first_prior")}};
  }

 private:
  MethodConfig config_;
  float* log_count_ = nullptr;
  float* prior_ = nullptr;
  bool has_prior_ = false;
};

void apply_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                  ParamSet& p, Realized& r) {
  const int64_t nb = blocks(s, p);
  if (budget.sparsity && !is_explicit(explicit_params, "num_blocks"))
    p.set("num_blocks", std::clamp<int64_t>(round_to_int(budget_density(budget) * nb * nb), 1, nb * nb));
  p.set("num_blocks", num_blocks(s, p));
  const double b = static_cast<double>(p.get_int("block")), n = static_cast<double>(s.seq_len);
  r.density = std::min(1.0, static_cast<double>(p.get_int("num_blocks")) * b * b / (n * n));
}

double mra_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const double bh = static_cast<double>(s.heads_total()), nb = static_cast<double>(blocks(s, p));
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
  const double sel = static_cast<double>(num_blocks(s, p));
  ops::FlashShape f{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim};
  f.tiles = ops::default_flash_tiles(s.head_dim);
  const bool lowres = p.get_string("mode") == "full" && sel < nb * nb;
  const double floats = 3 * bh * nb * d + 2 * bh * nb * nb + bh * nb + bh * n + nb +
                        (p.get_int("diag_prior") > 0 || p.get_int("first_prior") > 0 ? nb * nb : 0) +
                        (lowres ? bh * nb + bh * nb * d : 0);
  const double ints = bh * sel + bh * nb + 1 + std::max(1.0, bh * sel);
  return 4 * floats + 8 * ints +
         static_cast<double>(ops::flash_attention_scratch_bytes(f, sizeof(float), threads, s.device));
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "mra",
    .family = "sparse",
    .summary = "MRA-2: exact top-k 32-blocks (global selection) + exp-of-mean low resolution elsewhere; MRA-2-s: "
               "sparse part only",
    .paper = "Zeng et al., Multi Resolution Analysis (MRA) for Approximate Self-Attention, ICML 2022",
    .params = {{.name = "mode", .type = ParamType::string, .default_value = std::string("full"),
                .choices = {"full", "sparse"}, .doc = "full: MRA-2; sparse: MRA-2-s (no low-resolution term)"},
               {.name = "num_blocks", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1,
                .doc = "selected blocks per head (-1: from sparsity, else 4 per block row)"},
               {.name = "block", .type = ParamType::integer, .default_value = int64_t{32}, .min = 1, .max = 1024,
                .doc = "block size (official: 32)"},
               {.name = "diag_prior", .type = ParamType::integer, .default_value = int64_t{0}, .min = 0,
                .doc = "force blocks with |a - b| <= diag_prior / 2"},
               {.name = "first_prior", .type = ParamType::integer, .default_value = int64_t{0}, .min = 0,
                .doc = "force the first first_prior block rows and columns"}},
    .budget_doc = "sparsity -> rho = 1 - sparsity; num_blocks = clamp(round(rho nb^2), 1, nb^2)",
    .uses_sparsity = true,
    .supports_causal = false,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N^2 d / 1024 + k 1024 d) time, O(nb^2 + N d) memory",
    .apply_budget = apply_budget,
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const double nb = static_cast<double>(blocks(s, p)), d = static_cast<double>(s.head_dim);
      const double b = static_cast<double>(p.get_int("block"));
      const double sel = static_cast<double>(num_blocks(s, p));
      return static_cast<double>(s.heads_total()) * (4 * nb * nb * d + 4 * sel * b * b * d);
    },
    .workspace_bytes = mra_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Mra>(c); },
}};

}  // namespace
}  // namespace attn
