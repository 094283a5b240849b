// contextpool: attention over pooled keys and values (harness constructions after ContextPool).
//
// Paper: Huang et al., "Efficient Representation Learning via Adaptive Context Pooling", ICML 2022
// (no official code found). Card: shared/methods/kernel.md card 7. Both variants are harness
// constructions: the real ContextPool learns per-token pooling weights and support sizes.
//   strided (default): M = ceil(N / s) centres c_j = j s + (s - 1)/2; K~, V~ pooled with a box window
//     of width s (default) or a Gaussian (sigma = s/2, truncated at 2 sigma), renormalized at the
//     edges; Y = softmax(Q K~^T / sqrt d + log n_j) V~ with n_j the tokens nearest centre j. With the
//     box window this equals Linformer segment means with the mass correction (stride blocks).
//   same: K~, V~ (and Q~ when pool_q) = Gaussian pooling with std sigma at every position (N -> N),
//     then exact softmax over the N pooled keys (dense: density 1; O(N^2 d) by the tiled kernel).
// Approximates: softmax (the error measures the smoothing effect).
// Complexity: strided O(N w d + N M d) time, O(N M) memory; same O(N w d + N^2 d), O(N d).
// Exactness: strided with stride 1 (rank = N) and same with sigma = 0 are exact.
// Parameters: pooled_len (= rank; 256; strided: stride = ceil(N / rank)), variant (strided), window
// (box | gaussian; strided), sigma (same: 1), pool_q (same: true, the faithful shape).
// Not causal (the windows and the partly-future blocks would need left-only pooling).
#include <cmath>
#include <vector>

#include "core/device_memory.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/flash_attention.hpp"
#include "ops/gemm.hpp"
#include "ops/rowwise.hpp"
#include "ops/softmax.hpp"
#include "ops/window_pool.hpp"

namespace attn {
namespace {

using ops::Trans;

bool is_same(const ParamSet& p) { return p.get_string("variant") == "same"; }

ops::WindowPoolShape pool_shape(const CaseShape& s, const ParamSet& p) {
  if (is_same(p))
    return {.batch = s.heads_total(), .seq_len = s.seq_len, .dim = s.head_dim, .stride = 1,
            .window = ops::PoolWindow::gaussian, .sigma = p.get_double("sigma")};
  const int64_t stride = (s.seq_len + p.get_int("pooled_len") - 1) / p.get_int("pooled_len");
  const bool gauss = p.get_string("window") == "gaussian";
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .dim = s.head_dim, .stride = stride,
          .window = gauss ? ops::PoolWindow::gaussian : ops::PoolWindow::box, .sigma = stride / 2.0};
}

ops::FlashShape flash_shape(const CaseShape& s) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
          .tiles = ops::default_flash_tiles(s.head_dim)};
}

class ContextPool final : public Method {
 public:
  explicit ContextPool(const MethodConfig& c) : config_(c) {}

  void prepare(Context& ctx) override {
    if (is_same(config_.params)) return;
    const auto ps = pool_shape(config_.shape, config_.params);
    const int64_t m = ops::pooled_rows(ps);
    std::vector<float> log_mass(static_cast<size_t>(m));
    for (int64_t j = 0; j < m; ++j)
      log_mass[j] = static_cast<float>(std::log(static_cast<double>(std::min(ps.seq_len, (j + 1) * ps.stride) - j * ps.stride)));
    log_mass_ = ctx.ws().get<float>("contextpool.log_mass", m);
    copy_bytes(log_mass_, ctx.device, log_mass.data(), Device::cpu, log_mass.size() * sizeof(float));
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const auto ps = pool_shape(s, config_.params);
    const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim, m = ops::pooled_rows(ps);
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    float* kp = ctx.ws().get<float>("contextpool.k_pooled", bh * m * d);
    float* vp = ctx.ws().get<float>("contextpool.v_pooled", bh * m * d);
    ops::window_pool<float>(ctx, ps, k.ptr<float>(), kp);
    ops::window_pool<float>(ctx, ps, v.ptr<float>(), vp);
    if (is_same(config_.params)) {
      const float* qp = q.ptr<float>();
      if (config_.params.get_bool("pool_q")) {
        float* qpool = ctx.ws().get<float>("contextpool.q_pooled", bh * n * d);
        ops::window_pool<float>(ctx, ps, q.ptr<float>(), qpool);
        qp = qpool;
      }
      ops::flash_attention<float>(ctx, flash_shape(s), scale, qp, kp, vp, out.ptr<float>());
      return;
    }
    float* scores = ctx.ws().get<float>("contextpool.scores", bh * n * m);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, n, m, d, bh), scale, q.ptr<float>(), kp, 0.0f, scores);
    ops::add_bias<float>(ctx, ops::row_shape(n, m, bh), nullptr, log_mass_, 0, scores);
    ops::softmax_rows<float>(ctx, {.rows = n, .cols = m, .ld = m, .stride = n * m, .batch = bh}, 1.0f, scores);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, n, d, m, bh), 1.0f, scores, vp, 0.0f, out.ptr<float>());
  }

 private:
  MethodConfig config_;
  float* log_mass_ = nullptr;
};

void apply_contextpool_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                              ParamSet& p, Realized& r) {
  const int64_t m = apply_rank(budget, explicit_params, p, "pooled_len");
  if (is_same(p)) {
    r.rank = s.seq_len;
    r.density = 1.0;
    return;
  }
  require_within_seq_len("pooled_len", m, s.seq_len);
  const int64_t pooled = ops::pooled_rows(pool_shape(s, p));
  r.rank = pooled;
  r.density = static_cast<double>(pooled) / static_cast<double>(s.seq_len);
}

double contextpool_flops(const CaseShape& s, const ParamSet& p) {
  const auto ps = pool_shape(s, p);
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
  const double m = static_cast<double>(ops::pooled_rows(ps));
  const double window = is_same(p) ? 4 * ps.sigma + 1 : static_cast<double>(ps.stride);
  const double pools = is_same(p) && p.get_bool("pool_q") ? 3 : 2;
  return static_cast<double>(s.heads_total()) * (pools * 2 * n * window * d + 4 * n * m * d + 5 * n * m);
}

double contextpool_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const auto ps = pool_shape(s, p);
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len),
               d = static_cast<double>(s.head_dim), m = static_cast<double>(ops::pooled_rows(ps));
  if (is_same(p)) {
    const double pooled = (p.get_bool("pool_q") ? 3 : 2) * bh * n * d * sizeof(float);
    return pooled +
           static_cast<double>(ops::flash_attention_scratch_bytes(flash_shape(s), sizeof(float), threads, s.device));
  }
  return (2 * bh * m * d + bh * n * m + m) * sizeof(float);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "contextpool",
    .family = "low-rank",
    .summary = "Softmax over strided pooled keys/values with log-mass (or Gaussian pooling at every token)",
    .paper = "Huang et al., Efficient Representation Learning via Adaptive Context Pooling, ICML 2022",
    .params = {{.name = "pooled_len", .type = ParamType::integer, .default_value = int64_t{256}, .min = 1,
                .max = 1 << 24, .doc = "strided: pooled length M (rank); stride = ceil(N / M)"},
               {.name = "variant", .type = ParamType::string, .default_value = std::string("strided"),
                .choices = {"strided", "same"}, .doc = "strided pooling (M rows) or same-length Gaussian pooling"},
               {.name = "window", .type = ParamType::string, .default_value = std::string("box"),
                .choices = {"box", "gaussian"}, .doc = "strided: box of width s or Gaussian sigma = s/2"},
               {.name = "sigma", .type = ParamType::number, .default_value = 1.0, .min = 0, .max = 1e6,
                .doc = "same: Gaussian pooling std in tokens (0: no pooling, exact)"},
               {.name = "pool_q", .type = ParamType::boolean, .default_value = true,
                .doc = "same: pool the queries too (the faithful shape)"}},
    .budget_doc = "rank = pooled length M (strided; stride = ceil(N/rank)); same: rank n/a, density 1",
    .uses_rank = true,
    .supports_causal = false,
    .subquadratic = false,
    .linear_in_v = true,
    .complexity = "strided O(N M d), O(N M) memory; same O(N^2 d), O(N d) memory",
    .apply_budget = apply_contextpool_budget,
    .flops = contextpool_flops,
    .workspace_bytes = contextpool_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<ContextPool>(c); },
}};

}  // namespace
}  // namespace attn
