// nystrom: Nystromformer, the softmax matrix through segment-mean landmarks and an iterative
// pseudo-inverse.
//
// Paper: Xiong et al., "Nystromformer: A Nystrom-Based Algorithm for Approximating Self-Attention",
// AAAI 2021 (official code: mlpen/Nystromformer, code/attention_nystrom.py). Card:
// shared/methods/lowrank.md card 1.
// Approximates: softmax, A ~ F Z B with F = softmax(Q~ K_L^T), W = softmax(Q_L K_L^T), Z ~ W^+,
// B = softmax(Q_L K~^T), landmarks Q_L, K_L = segment means of Q~ = Q d^-1/4, K~ = K d^-1/4.
// Complexity: O(N m d + m^3 iters) time, O(N m + m^2) memory. Not causal (landmarks average over
// future tokens; no causal variant exists in the paper or the code).
// Exactness: num_landmarks = N with exact_when_full (the official short-circuit) is exact; without
// it, 6 iterations are not exact (the iteration acts as a spectral filter) and ~20+ are.
// Parameters: num_landmarks (= rank; 64), pinv_iters (6), init (original | exact), exact_when_full (true).
// Deviations: the output is bracketed F (Z (B V)) instead of the official (F Z)(B V): identical
// mathematically and avoids an N m^2 product. The learned depthwise convolution is omitted (it is
// not part of the softmax approximation).
#include <algorithm>
#include <cmath>

#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/flash_attention.hpp"
#include "ops/gemm.hpp"
#include "ops/pinv.hpp"
#include "ops/segment_means.hpp"
#include "ops/softmax.hpp"

namespace attn {
namespace {

using ops::Trans;

// Query rows whose F block is formed and applied at once (a [kQueryChunk, m] block per head).
constexpr int64_t kQueryChunk = 1024;

ops::PinvShape pinv_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .size = p.get_int("num_landmarks"), .iterations = static_cast<int>(p.get_int("pinv_iters")),
          .init = p.get_string("init") == "exact" ? ops::PinvInit::exact : ops::PinvInit::original};
}

bool short_circuits(const CaseShape& s, const ParamSet& p) {
  return p.get_bool("exact_when_full") && p.get_int("num_landmarks") == s.seq_len;
}

ops::FlashShape exact_shape(const CaseShape& s) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
          .tiles = ops::default_flash_tiles(s.head_dim)};
}

class Nystromformer final : public Method {
 public:
  explicit Nystromformer(const MethodConfig& c) : config_(c) {}

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim, m = config_.params.get_int("num_landmarks");
    if (short_circuits(s, config_.params)) {
      ops::flash_attention<float>(ctx, exact_shape(s), 1.0f / std::sqrt(static_cast<float>(d)), q.ptr<float>(),
                                  k.ptr<float>(), v.ptr<float>(), out.ptr<float>());
      return;
    }
    auto& ws = ctx.ws();
    const int64_t chunk = std::min(n, kQueryChunk);
    float* q_l = ws.get<float>("nystrom.q_landmarks", bh * m * d);
    float* k_l = ws.get<float>("nystrom.k_landmarks", bh * m * d);
    float* f = ws.get<float>("nystrom.f_chunk", bh * chunk * m);
    float* w = ws.get<float>("nystrom.w", bh * m * m);
    float* b = ws.get<float>("nystrom.b", bh * m * n);
    float* z = ws.get<float>("nystrom.z", bh * m * m);
    float* bv = ws.get<float>("nystrom.bv", bh * m * d);
    float* zbv = ws.get<float>("nystrom.zbv", bh * m * d);
    const float scale = static_cast<float>(quarter_root_scale(d));

    const ops::SegmentShape seg{.batch = bh, .seq_len = n, .dim = d, .segments = m};
    ops::segment_means<float>(ctx, seg, scale, q.ptr<float>(), q_l);
    ops::segment_means<float>(ctx, seg, scale, k.ptr<float>(), k_l);

    // W = softmax(Q_L K_L^T) [m, m]; B = softmax(Q_L K~^T) [m, n]; Z ~ W^+; then Z (B V) [m, d].
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, m, m, d, bh), 1.0f, q_l, k_l, 0.0f, w);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, m, n, d, bh), scale, q_l, k.ptr<float>(), 0.0f, b);
    ops::softmax_rows<float>(ctx, {.rows = m, .cols = m, .ld = m, .stride = m * m, .batch = bh}, 1.0f, w);
    ops::softmax_rows<float>(ctx, {.rows = m, .cols = n, .ld = n, .stride = m * n, .batch = bh}, 1.0f, b);
    ops::newton_schulz_pinv<float>(ctx, pinv_shape(s, config_.params), w, z);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, m, d, n, bh), 1.0f, b, v.ptr<float>(), 0.0f, bv);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, m, d, m, bh), 1.0f, z, bv, 0.0f, zbv);

    // F = softmax(Q~ K_L^T) is row-local, so it is formed and applied one query chunk at a time:
    // the [chunk, m] block stays in cache instead of an [N, m] buffer streaming through memory.
    for (int64_t r0 = 0; r0 < n; r0 += chunk) {
      const int64_t rows = std::min(chunk, n - r0);
      auto scores = ops::gemm_shape(Trans::no, Trans::yes, rows, m, d, bh);
      scores.stride_a = n * d;
      scores.stride_c = chunk * m;
      ops::gemm<float>(ctx, scores, scale, q.ptr<float>() + r0 * d, k_l, 0.0f, f);
      ops::softmax_rows<float>(ctx, {.rows = rows, .cols = m, .ld = m, .stride = chunk * m, .batch = bh}, 1.0f, f);
      auto apply = ops::gemm_shape(Trans::no, Trans::no, rows, d, m, bh);
      apply.stride_a = chunk * m;
      apply.stride_c = n * d;
      ops::gemm<float>(ctx, apply, 1.0f, f, zbv, 0.0f, out.ptr<float>() + r0 * d);
    }
  }

 private:
  MethodConfig config_;
};

void apply_nystrom_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                          ParamSet& p, Realized& r) {
  const int64_t m = apply_rank_within_seq_len(budget, explicit_params, p, "num_landmarks", s.seq_len);
  r.rank = m;
}

double nystrom_flops(const CaseShape& s, const ParamSet& p) {
  if (short_circuits(s, p)) return 4.0 * s.heads_total() * static_cast<double>(s.seq_len) * s.seq_len * s.head_dim;
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
  const double m = static_cast<double>(p.get_int("num_landmarks")), it = static_cast<double>(p.get_int("pinv_iters"));
  const double per_head = 2 * n * d                   // segment means
                          + 2 * (2 * n * m * d) + 2 * m * m * d  // F, B and W scores
                          + 5 * (2 * n * m + m * m)        // three softmaxes
                          + it * 4 * 2 * m * m * m        // pinv: four m x m products per iteration
                          + 2 * m * n * d + 2 * m * m * d + 2 * n * m * d;  // B V, Z (B V), F (Z B V)
  return static_cast<double>(s.heads_total()) * per_head;
}

double nystrom_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  if (short_circuits(s, p))
    return static_cast<double>(ops::flash_attention_scratch_bytes(exact_shape(s), sizeof(float), threads, s.device));
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len),
               d = static_cast<double>(s.head_dim), m = static_cast<double>(p.get_int("num_landmarks"));
  const double chunk = static_cast<double>(std::min<int64_t>(s.seq_len, kQueryChunk));
  const double floats = bh * (2 * m * d + chunk * m + m * m + m * n + m * m + 2 * m * d);
  return floats * sizeof(float) +
         static_cast<double>(ops::newton_schulz_pinv_scratch_bytes(pinv_shape(s, p), sizeof(float), s.device));
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "nystrom",
    .family = "low-rank",
    .summary = "Nystromformer: segment-mean landmarks, three softmax kernels, iterative pseudo-inverse",
    .paper = "Xiong et al., Nystromformer, AAAI 2021",
    .params = {{.name = "num_landmarks", .type = ParamType::integer, .default_value = int64_t{64}, .min = 1,
                .max = 1 << 20, .doc = "landmarks m (rank)"},
               {.name = "pinv_iters", .type = ParamType::integer, .default_value = int64_t{6}, .min = 0, .max = 1000,
                .doc = "Newton-Schulz (Razavi) iterations"},
               {.name = "init", .type = ParamType::string, .default_value = std::string("original"),
                .choices = {"original", "exact"},
                .doc = "pinv initial scale: original (max column sum over all heads, official) or exact (per head)"},
               {.name = "exact_when_full", .type = ParamType::boolean, .default_value = true,
                .doc = "num_landmarks = N computes exact attention (official short-circuit)"}},
    .budget_doc = "rank = landmarks m",
    .uses_rank = true,
    .supports_causal = false,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N m d + m^3) time, O(N m + m^2) memory",
    .apply_budget = apply_nystrom_budget,
    .flops = nystrom_flops,
    .workspace_bytes = nystrom_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Nystromformer>(c); },
}};

}  // namespace
}  // namespace attn
