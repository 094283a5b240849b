// luna: Linear Unified Nested Attention, the harness's untrained pack-and-unpack adaptation.
//
// Paper: Ma et al., "Luna: Linear Unified Nested Attention", NeurIPS 2021 (official code:
// XuezheMax/fairseq-apollo, fairseq/modules/luna_attention.py). Card: shared/methods/kernel.md card 5.
// Computes: a different (nested) operator, not an estimator of the layer's softmax:
//   pack:   A = softmax(P K^T / sqrt d) [l, N],  K_P = A K,  V_P = A V
//   unpack: Y = softmax(Q K_P^T / sqrt d) V_P
// with an untrained pack sequence P [l, d]: segq (segment means of Q; default), segk (of K), random
// (N(0, I), one draw per case), identity (l = N and A = I: reduces exactly to softmax attention).
// The error vs softmax is a model difference; its own exact form is itself, so the reference is
// softmax only.
// Complexity: O(N l d) time, O(N l) memory.
// Exactness: pack=identity (l = N) equals softmax attention.
// Causal: the official LunarCausalAttention, a different operator again (kernel.md card 5): pack
// weights A[i, j] = elu(k_i . p_j / sqrt d) + 1 (unnormalized), prefix means over t of A^T K and
// A^T V, out_t = softmax(q_t K~_t^T / sqrt d) V~_t (ops/nested_causal_attention). Segment means use
// the future, so causal runs take P = N(0, I) (pack=random); its output weights do not sum to 1, so
// read scale_inv_rel_fro next to rel_fro.
// Parameters: pack_len (= rank; 256), pack (auto: segq when bidirectional, random when causal).
// Deviations: untied pack keys/values (the official encoder ties pack K = V = X W_pc) and no learned
// projections, as the card's harness adaptation says; the causal pack weights use k_i where the
// official code uses the raw layer input x_i (the card's adaptation, since there is no X here).
#include <cmath>
#include <vector>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/flash_attention.hpp"
#include "ops/gemm.hpp"
#include "ops/nested_causal_attention.hpp"
#include "ops/segment_means.hpp"
#include "ops/softmax.hpp"

namespace attn {
namespace {

using ops::Trans;

ops::NestedCausalShape causal_shape(const CaseShape& s, int64_t pack_len) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim, .value_dim = s.head_dim,
          .pack_len = pack_len, .pack_stride = 0};
}

class Luna final : public Method {
 public:
  explicit Luna(const MethodConfig& c) : config_(c) {}

  void prepare(Context& ctx) override {
    if (config_.params.get_string("pack") != "random") return;
    const int64_t l = config_.params.get_int("pack_len"), d = config_.shape.head_dim;
    std::vector<float> p(static_cast<size_t>(l * d));
    Rng(config_.seed, config_.rng_key, "luna/pack").fill_normal(p.data(), l * d);
    random_p_ = ctx.ws().get<float>("luna.p_random", l * d);
    copy_bytes(random_p_, ctx.device, p.data(), Device::cpu, p.size() * sizeof(float));
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim, l = config_.params.get_int("pack_len");
    const auto& pack = config_.params.get_string("pack");
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    if (s.causal) {  // apply_budget allows only pack=random here
      ops::nested_causal_attention<float>(ctx, causal_shape(s, l), scale, random_p_, q.ptr<float>(), k.ptr<float>(),
                                          v.ptr<float>(), out.ptr<float>());
      return;
    }
    if (pack == "identity") {  // A = I: K_P = K, V_P = V
      const ops::FlashShape fs{.batch = bh, .seq_len = n, .head_dim = d, .tiles = ops::default_flash_tiles(d)};
      ops::flash_attention<float>(ctx, fs, scale, q.ptr<float>(), k.ptr<float>(), v.ptr<float>(), out.ptr<float>());
      return;
    }
    auto& ws = ctx.ws();
    float* a = ws.get<float>("luna.pack_weights", bh * l * n);
    float* kp = ws.get<float>("luna.k_packed", bh * l * d);
    float* vp = ws.get<float>("luna.v_packed", bh * l * d);
    float* scores = ws.get<float>("luna.unpack_scores", bh * n * l);
    const float* p = random_p_;
    ops::GemmShape pk = ops::gemm_shape(Trans::no, Trans::yes, l, n, d, bh);
    if (pack == "random") {
      pk.stride_a = 0;  // one P for every head
    } else {
      float* p_seg = ws.get<float>("luna.p_segments", bh * l * d);
      const ops::SegmentShape seg{.batch = bh, .seq_len = n, .dim = d, .segments = l};
      ops::segment_means<float>(ctx, seg, 1.0f, pack == "segq" ? q.ptr<float>() : k.ptr<float>(), p_seg);
      p = p_seg;
    }
    ops::gemm<float>(ctx, pk, scale, p, k.ptr<float>(), 0.0f, a);
    ops::softmax_rows<float>(ctx, {.rows = l, .cols = n, .ld = n, .stride = l * n, .batch = bh}, 1.0f, a);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, l, d, n, bh), 1.0f, a, k.ptr<float>(), 0.0f, kp);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, l, d, n, bh), 1.0f, a, v.ptr<float>(), 0.0f, vp);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, n, l, d, bh), scale, q.ptr<float>(), kp, 0.0f, scores);
    ops::softmax_rows<float>(ctx, {.rows = n, .cols = l, .ld = l, .stride = n * l, .batch = bh}, 1.0f, scores);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, n, d, l, bh), 1.0f, scores, vp, 0.0f, out.ptr<float>());
  }

 private:
  MethodConfig config_;
  float* random_p_ = nullptr;
};

void apply_luna_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                       ParamSet& p, Realized& r) {
  const int64_t l = apply_rank(budget, explicit_params, p, "pack_len");
  if (p.get_string("pack") == "auto") p.set("pack", std::string(s.causal ? "random" : "segq"));
  const auto& pack = p.get_string("pack");
  if (s.causal && pack != "random")
    throw UnsupportedError("causal luna needs pack=random (pack=" + pack +
                           (pack == "identity" ? " is not a causal operator)" : " uses future tokens)"));
  if (pack == "segq" || pack == "segk") require_within_seq_len("pack_len", l, s.seq_len);
  if (pack == "identity" && l != s.seq_len) throw UnsupportedError("pack=identity needs pack_len = seq_len");
  r.rank = l;
}

double luna_flops(const CaseShape& s, const ParamSet& p) {
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
  const double l = static_cast<double>(p.get_int("pack_len"));
  if (p.get_string("pack") == "identity") return 4.0 * s.heads_total() * n * n * d;
  if (s.causal) {  // per chunk: K P^T, Q S_K^T, two state updates, W S_V, and three C x C products
    const double c = static_cast<double>(std::min<int64_t>(causal_shape(s, 1).chunk, s.seq_len));
    return 2.0 * s.heads_total() * n * (4 * l * d + l * d + c * (d + 2 * l + d));
  }
  return static_cast<double>(s.heads_total()) * (n * d + 4 * (2 * n * l * d) + 10 * n * l);
}

double luna_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len),
               d = static_cast<double>(s.head_dim), l = static_cast<double>(p.get_int("pack_len"));
  const auto& pack = p.get_string("pack");
  if (pack == "identity") {
    const ops::FlashShape fs{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
                             .tiles = ops::default_flash_tiles(s.head_dim)};
    return static_cast<double>(ops::flash_attention_scratch_bytes(fs, sizeof(float), threads, s.device));
  }
  if (s.causal)
    return l * d * sizeof(float) +
           static_cast<double>(ops::nested_causal_attention_scratch_bytes(causal_shape(s, static_cast<int64_t>(l)),
                                                                         sizeof(float), threads, s.device));
  const double p_floats = pack == "random" ? l * d : bh * l * d;
  return (2 * bh * l * n + 2 * bh * l * d + p_floats) * sizeof(float);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "luna",
    .family = "low-rank",
    .summary = "Luna pack-and-unpack attention with an untrained pack sequence (segment means of Q)",
    .paper = "Ma et al., Luna: Linear Unified Nested Attention, NeurIPS 2021",
    .params = {{.name = "pack_len", .type = ParamType::integer, .default_value = int64_t{256}, .min = 1,
                .max = 1 << 24, .doc = "packed length l (rank)"},
               {.name = "pack", .type = ParamType::string, .default_value = std::string("auto"),
                .choices = {"auto", "segq", "segk", "random", "identity"},
                .doc = "pack sequence P: segment means of Q or K, N(0, I), or identity (l = N, exact); "
                       "auto = segq, or random when causal"}},
    .budget_doc = "rank = packed length l",
    .uses_rank = true,
    .supports_causal = true,
    .subquadratic = true,
    .complexity = "O(N l d) time, O(N l) memory (causal: O(l d + C l) per head)",
    .apply_budget = apply_luna_budget,
    .flops = luna_flops,
    .workspace_bytes = luna_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Luna>(c); },
}};

}  // namespace
}  // namespace attn
