// linformer: softmax attention over keys and values projected along the sequence axis.
//
// Paper: Wang et al., "Linformer: Self-Attention with Linear Complexity", 2020 (official code:
// facebookresearch/fairseq examples/linformer/.../multihead_linear_attention.py). Card:
// shared/methods/kernel.md card 4.
// Approximates: softmax, Y = softmax(Q (E K)^T / sqrt d + b) (E V) with E [k, N] (F = E).
// Projections (untrained, the card's harness options):
//   segment-means (default): E = segment averaging (segments of N/k or N/k + 1 rows, the segment_means
//     rule), with the log-mass bias b_j = log |seg_j| when segments are unequal (exact for piecewise
//     constant K and V);
//   gaussian: E_ji ~ N(0, 1/k) (Theorem 1 scaling; catastrophic untrained, as the card measures);
//   sparse-jl: Achlioptas sqrt(3/k) {+1, 0, -1} with probabilities {1/6, 2/3, 1/6};
//   identity: k = N, E = I (exact).
// Random projections are one draw per case shared by all heads.
// Complexity: O(N k d) time, O(N k) memory (O(N d) for the segment reduction). Not causal (E mixes all
// positions; the paper and the code have no causal form).
// Exactness: identity (k = N) and segment-means with k = N are exact.
// Parameters: projected_len (= rank; 256), projection (segment-means).
// Deviations: E is applied to K and V after their projections (equal without the bias term); the
// official learned E (xavier init, truncated to N columns) is replaced by the untrained options.
#include <cmath>
#include <vector>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/gemm.hpp"
#include "ops/rowwise.hpp"
#include "ops/segment_means.hpp"
#include "ops/softmax.hpp"

namespace attn {
namespace {

using ops::Trans;

bool dense_projection(const ParamSet& p) {
  const auto& kind = p.get_string("projection");
  return kind == "gaussian" || kind == "sparse-jl";
}

class Linformer final : public Method {
 public:
  explicit Linformer(const MethodConfig& c) : config_(c) {}

  void prepare(Context& ctx) override {
    const int64_t n = config_.shape.seq_len, k = config_.params.get_int("projected_len");
    const auto& kind = config_.params.get_string("projection");
    if (kind == "segment-means") {
      std::vector<float> bias(static_cast<size_t>(k));
      bool unequal = false;
      for (int64_t j = 0; j < k; ++j) {
        int64_t lo = 0, hi = 0;
        ops::segment_bounds(n, k, j, &lo, &hi);
        bias[j] = static_cast<float>(std::log(static_cast<double>(hi - lo)));
        unequal |= (hi - lo) != n / k;
      }
      if (unequal) {
        bias_ = ctx.ws().get<float>("linformer.log_mass", k);
        copy_bytes(bias_, ctx.device, bias.data(), Device::cpu, bias.size() * sizeof(float));
      }
    } else if (dense_projection(config_.params)) {
      std::vector<float> e(static_cast<size_t>(k * n));
      const Rng rng(config_.seed, config_.rng_key, "linformer/projection");
      if (kind == "gaussian") {
        rng.fill_normal(e.data(), k * n);
        for (auto& x : e) x /= static_cast<float>(std::sqrt(static_cast<double>(k)));
      } else {
        const float a = static_cast<float>(std::sqrt(3.0 / static_cast<double>(k)));
        for (int64_t i = 0; i < k * n; ++i) {
          const uint64_t r = rng.below(static_cast<uint64_t>(i), 6);
          e[i] = r == 0 ? a : r == 1 ? -a : 0.0f;
        }
      }
      e_ = ctx.ws().get<float>("linformer.e", k * n);
      copy_bytes(e_, ctx.device, e.data(), Device::cpu, e.size() * sizeof(float));
    }
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim, kp = config_.params.get_int("projected_len");
    const auto& kind = config_.params.get_string("projection");
    const float* kr = k.ptr<float>();
    const float* vr = v.ptr<float>();
    if (kind != "identity") {
      float* k_proj = ctx.ws().get<float>("linformer.k_proj", bh * kp * d);
      float* v_proj = ctx.ws().get<float>("linformer.v_proj", bh * kp * d);
      if (kind == "segment-means") {
        const ops::SegmentShape seg{.batch = bh, .seq_len = n, .dim = d, .segments = kp};
        ops::segment_means<float>(ctx, seg, 1.0f, k.ptr<float>(), k_proj);
        ops::segment_means<float>(ctx, seg, 1.0f, v.ptr<float>(), v_proj);
      } else {
        ops::GemmShape g = ops::gemm_shape(Trans::no, Trans::no, kp, d, n, bh);
        g.stride_a = 0;  // one E for every head
        ops::gemm<float>(ctx, g, 1.0f, e_, k.ptr<float>(), 0.0f, k_proj);
        ops::gemm<float>(ctx, g, 1.0f, e_, v.ptr<float>(), 0.0f, v_proj);
      }
      kr = k_proj;
      vr = v_proj;
    }
    float* scores = ctx.ws().get<float>("linformer.scores", bh * n * kp);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, n, kp, d, bh),
                     1.0f / std::sqrt(static_cast<float>(d)), q.ptr<float>(), kr, 0.0f, scores);
    if (bias_) ops::add_bias<float>(ctx, ops::row_shape(n, kp, bh), nullptr, bias_, 0, scores);
    ops::softmax_rows<float>(ctx, {.rows = n, .cols = kp, .ld = kp, .stride = n * kp, .batch = bh}, 1.0f, scores);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, n, d, kp, bh), 1.0f, scores, vr, 0.0f,
                     out.ptr<float>());
  }

 private:
  MethodConfig config_;
  float* e_ = nullptr;
  float* bias_ = nullptr;
};

void apply_linformer_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                            ParamSet& p, Realized& r) {
  const int64_t k = apply_rank_within_seq_len(budget, explicit_params, p, "projected_len", s.seq_len);
  if (p.get_string("projection") == "identity" && k != s.seq_len)
    throw UnsupportedError("projection=identity needs projected_len = seq_len");
  r.rank = k;
}

double linformer_flops(const CaseShape& s, const ParamSet& p) {
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
  const double k = static_cast<double>(p.get_int("projected_len"));
  const double project = dense_projection(p) ? 2 * (2 * k * n * d) : 2 * n * d;
  return static_cast<double>(s.heads_total()) * (project + 2 * n * k * d + 5 * n * k + 2 * n * k * d);
}

double linformer_workspace(const CaseShape& s, const ParamSet& p, int) {
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len),
               d = static_cast<double>(s.head_dim), k = static_cast<double>(p.get_int("projected_len"));
  const auto& kind = p.get_string("projection");
  double floats = bh * n * k;
  if (kind != "identity") floats += 2 * bh * k * d;
  if (dense_projection(p)) floats += k * n;
  if (kind == "segment-means" && s.seq_len % p.get_int("projected_len") != 0) floats += k;
  return floats * sizeof(float);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "linformer",
    .family = "low-rank",
    .summary = "Linformer: softmax over keys and values projected to k rows (segment means by default)",
    .paper = "Wang et al., Linformer: Self-Attention with Linear Complexity, 2020",
    .params = {{.name = "projected_len", .type = ParamType::integer, .default_value = int64_t{256}, .min = 1,
                .max = 1 << 24, .doc = "projected length k (rank)"},
               {.name = "projection", .type = ParamType::string, .default_value = std::string("segment-means"),
                .choices = {"segment-means", "gaussian", "sparse-jl", "identity"},
                .doc = "E: segment means (+log mass), N(0,1/k), Achlioptas, or identity (k = N)"}},
    .budget_doc = "rank = projected length k",
    .uses_rank = true,
    .supports_causal = false,
    .randomized = false,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N k d) time, O(N k) memory",
    .apply_budget = apply_linformer_budget,
    .flops = linformer_flops,
    .workspace_bytes = linformer_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Linformer>(c); },
}};

}  // namespace
}  // namespace attn
