// exact: textbook softmax attention with the N x N score matrix materialized.
//
// Paper: Vaswani et al., "Attention Is All You Need" (2017). Card: shared/methods/sparse.md card 1a.
// Approximates: nothing (exact softmax; its fp32 error vs the fp64 reference is the noise floor).
// Complexity: 4 N^2 d FLOPs per head; memory N^2 floats (one head at a time, scores and
// probabilities share the buffer so the peak is not doubled).
// Exactness: equals the fp64 reference within fp32 rounding, causal and not.
// Parameters: none.
// Deviations: none. Heads run one after another so each GEMM and softmax uses every thread; the
// batched-over-heads alternative would hold B*H score matrices at once.
#include <cmath>

#include "methods/registry.hpp"
#include "metrics/flops.hpp"
#include "ops/gemm.hpp"
#include "ops/softmax.hpp"

namespace attn {
namespace {

class ExactAttention final : public Method {
 public:
  explicit ExactAttention(const MethodConfig& c) : shape_(c.shape) {}

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const int64_t n = shape_.seq_len, d = shape_.head_dim;
    float* scores = ctx.ws().get<float>("exact.scores", n * n);
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    const auto qk = ops::gemm_shape(ops::Trans::no, ops::Trans::yes, n, n, d);
    const auto pv = ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, d, n);
    ops::SoftmaxShape sm{.rows = n, .cols = n, .ld = n, .stride = n * n, .batch = 1, .causal = shape_.causal};
    for (int64_t bh = 0; bh < shape_.heads_total(); ++bh) {
      ops::gemm<float>(ctx, qk, 1.0f, q.head<float>(bh), k.head<float>(bh), 0.0f, scores);
      ops::softmax_rows<float>(ctx, sm, scale, scores);
      ops::gemm<float>(ctx, pv, 1.0f, scores, v.head<float>(bh), 0.0f, out.head<float>(bh));
    }
  }

 private:
  CaseShape shape_;
};

const MethodRegistration kRegistration{MethodInfo{
    .name = "exact",
    .family = "exact",
    .summary = "Softmax attention with the N x N score matrix materialized (GEMM, row softmax, GEMM)",
    .paper = "Vaswani et al., Attention Is All You Need, NeurIPS 2017",
    .params = {},
    .budget_doc = "no budget knobs (exact)",
    .supports_causal = true,
    .linear_in_v = true,
    .complexity = "O(N^2 d) time, O(N^2) memory",
    .apply_budget = [](const Budget&, const CaseShape&, const std::vector<std::string>&, ParamSet&,
                       Realized& r) { r.density = 1.0; },
    .flops = [](const CaseShape& s, const ParamSet&) {
      return dense_attention_flops(s.heads_total(), s.seq_len, s.head_dim, false);
    },
    .workspace_bytes = [](const CaseShape& s, const ParamSet&, int) {
      return 4.0 * static_cast<double>(s.seq_len) * static_cast<double>(s.seq_len);
    },
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<ExactAttention>(c); },
}};

}  // namespace
}  // namespace attn
