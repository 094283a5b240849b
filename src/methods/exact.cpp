// exact: textbook softmax attention with the N x N score matrix materialized.
//
// Paper: Vaswani et al., "Attention Is All You Need" (2017). Card: shared/methods/sparse.md card 1a.
// Approximates: nothing (exact softmax; its fp32 error vs the fp64 reference is the noise floor).
// Complexity: 4 N^2 d FLOPs per head; memory N^2 floats (one head at a time, scores and
// probabilities share the buffer so the peak is not doubled).
// Exactness: equals the fp64 reference within fp32 rounding, causal and not.
// dtypes: fp32 everywhere; fp16 / bf16 on the GPU as frameworks run "math" attention in half
// precision: Q K^T / sqrt(d) on tensor cores (fp32 accumulation) stored in the dtype, the softmax
// reduced in fp32 and stored in the dtype, P V on tensor cores. This is the plain same-precision
// implementation the fused 16-bit kernel (flash) is compared with.
// Parameters: none.
// Deviations: none. Large heads (N > 2048) run one after another so each GEMM and softmax uses every
// thread and only one N x N buffer exists; small heads run `threads` at a time as one batched
// product (one head per thread, single-threaded BLAS): threaded BLAS on a 512 x 512 x 64 product
// spends more time synchronizing than multiplying (2 threads were 2x slower than 1 at N=512). On the
// GPU heads are batched into one strided cuBLAS call while their score matrices fit 1 GiB.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/half.hpp"
#include "methods/registry.hpp"
#include "metrics/flops.hpp"
#include "ops/gemm.hpp"
#include "ops/softmax.hpp"

namespace attn {
namespace {

// Heads that share one batched GEMM. CPU: one per thread while a score matrix is at most 16 MiB.
// GPU: as many as keep the group's scores within 1 GiB (at least one): a batched product fills the
// device where one head of a short sequence would not.
int64_t heads_per_group(const CaseShape& s, int threads) {
  if (s.device == Device::cuda) {
    constexpr double kMaxGroupScoreBytes = 1024.0 * 1024.0 * 1024.0;
    const double head_bytes = static_cast<double>(dtype_size(s.dtype)) * static_cast<double>(s.seq_len) *
                              static_cast<double>(s.seq_len);
    return std::clamp<int64_t>(static_cast<int64_t>(kMaxGroupScoreBytes / head_bytes), 1, s.heads_total());
  }
  constexpr int64_t kMaxGroupedSeqLen = 2048;
  if (threads <= 1 || s.seq_len > kMaxGroupedSeqLen) return 1;
  return std::min<int64_t>(s.heads_total(), threads);
}

class ExactAttention final : public Method {
 public:
  explicit ExactAttention(const MethodConfig& c) : shape_(c.shape) {}

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    // fp16 / bf16: tensor cores with fp32 accumulation (GPU only: the ops refuse the CPU).
    with_storage_type(q.dtype, [&](auto tag) { run<decltype(tag)>(ctx, q, k, v, out); });
  }

 private:
  // S: the element type of Q, K, V, the scores and the output; scale and GEMM factors stay fp32.
  template <class S>
  void run(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) const {
    const int64_t n = shape_.seq_len, d = shape_.head_dim, bh = shape_.heads_total();
    CaseShape here = shape_;
    here.device = ctx.device;  // the grouping rule of the device this forward runs on
    const int64_t group = heads_per_group(here, ctx.threads);
    S* scores = ctx.ws().get<S>("exact.scores", group * n * n);
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    // 16-bit scores are stored already scaled (the GEMM's alpha), as frameworks scale before the
    // product: stored unscaled, fp16 would overflow once |q.k| > 65504 instead of 65504 sqrt(d).
    constexpr bool kWide = std::is_same_v<S, float>;
    const float qk_alpha = kWide ? 1.0f : scale, softmax_scale = kWide ? scale : 1.0f;
    for (int64_t h0 = 0; h0 < bh; h0 += group) {
      const int64_t g = std::min(group, bh - h0);
      const auto qk = ops::gemm_shape(ops::Trans::no, ops::Trans::yes, n, n, d, g);
      const auto pv = ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, d, n, g);
      const ops::SoftmaxShape sm{.rows = n, .cols = n, .ld = n, .stride = n * n, .batch = g, .causal = shape_.causal};
      ops::gemm(ctx, qk, qk_alpha, q.head<S>(h0), k.head<S>(h0), 0.0f, scores);
      ops::softmax_rows(ctx, sm, softmax_scale, scores);
      ops::gemm(ctx, pv, 1.0f, scores, v.head<S>(h0), 0.0f, out.head<S>(h0));
    }
  }

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
    .dtypes = {DType::f32, DType::f16, DType::bf16},
    .apply_budget = [](const Budget&, const CaseShape&, const std::vector<std::string>&, ParamSet&,
                       Realized& r) { r.density = 1.0; },
    .flops = [](const CaseShape& s, const ParamSet&) {
      return dense_attention_flops(s.heads_total(), s.seq_len, s.head_dim, false);
    },
    .workspace_bytes = [](const CaseShape& s, const ParamSet&, int threads) {
      return static_cast<double>(dtype_size(s.dtype)) * static_cast<double>(heads_per_group(s, threads)) *
             static_cast<double>(s.seq_len) * static_cast<double>(s.seq_len);
    },
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<ExactAttention>(c); },
}};

}  // namespace
}  // namespace attn
