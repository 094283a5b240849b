// soft: Softmax-free Transformer attention (Gaussian kernel, tied Q = K, Nystrom through pooled
// landmarks and a Newton-Schulz inverse).
//
// Papers: Lu et al., "SOFT: Softmax-free Transformer with Linear Complexity", NeurIPS 2021; "Softmax-
// free Linear Transformers", IJCV 2024 (soft-norm). Official code: fudan-zvg/SOFT
// (models/softmax_free_transformer.py, SOFT/kernel/inverse.py). Card: shared/methods/kernel.md card 6.
// Computes: with x = Q d^-1/4 and landmarks L = segment means of x (m rows),
//   P = exp(-dist^2(x, L) / 2) [N, m], A = exp(-dist^2(L, L) / 2) [m, m],
//   soft:      Y = P (newton_inv(A + ridge I) (P^T V))         (per-matrix alpha, 20 iterations)
//   soft-norm: Y = P (D^-1/2 newton_inv_norm(A) D^-1/2 (P^T V)), D = rowsum(A) (global alpha with
//              halving, no ridge)
// Own exact: the un-normalized Gaussian-kernel attention S V, S_ij = exp(-|q_i - q_j|^2 / (2 sqrt d))
// (K is never used, as in the official module). Reference: both; the output is not row-normalized and
// grows with N, so error vs softmax is large by construction (scale_inv_err is the fairer number).
// Complexity: O(N m d + T m^3) time, O(N m + m^2) memory. Not causal.
// Exactness: m = N (landmarks = tokens), ridge 0 and enough Newton iterations reproduce S V.
// Parameters: num_landmarks (= rank; 49), newton_iters (20), ridge (0.01, the code; 0 = Moore-Penrose),
// variant (soft | soft-norm).
// Deviations: landmarks are 1-D average pooling of x (the untrained stand-in for the learned strided
// conv + LN + GELU); the depthwise-conv residual of V is off; the alpha rule uses |A| row sums
// (identical for the non-negative Gaussian kernel).
#include <cmath>
#include <vector>

#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/gaussian_kernel.hpp"
#include "ops/gemm.hpp"
#include "ops/kernel_attention.hpp"
#include "ops/newton_inverse.hpp"
#include "ops/rowwise.hpp"
#include "ops/segment_means.hpp"

namespace attn {
namespace {

using ops::Trans;

bool norm_variant(const ParamSet& p) { return p.get_string("variant") == "soft-norm"; }

ops::NewtonInverseShape newton_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .size = p.get_int("num_landmarks"),
          .iterations = static_cast<int>(p.get_int("newton_iters")),
          .ridge = norm_variant(p) ? 0.0 : p.get_double("ridge"),
          .init = norm_variant(p) ? ops::NewtonInit::normalized : ops::NewtonInit::per_matrix};
}

class Soft final : public Method {
 public:
  explicit Soft(const MethodConfig& c) : config_(c) {}

  void forward(Context& ctx, const Tensor& q, const Tensor&, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim, m = config_.params.get_int("num_landmarks");
    auto& ws = ctx.ws();
    float* lm = ws.get<float>("soft.landmarks", bh * m * d);
    float* p = ws.get<float>("soft.p", bh * n * m);
    float* a = ws.get<float>("soft.a", bh * m * m);
    float* inv = ws.get<float>("soft.inverse", bh * m * m);
    float* ptv = ws.get<float>("soft.ptv", bh * m * d);
    float* zptv = ws.get<float>("soft.zptv", bh * m * d);
    const float scale = static_cast<float>(quarter_root_scale(d));
    // Landmarks in raw units (the kernel op applies the d^-1/4 scale to both sides).
    ops::segment_means<float>(ctx, {.batch = bh, .seq_len = n, .dim = d, .segments = m}, 1.0f, q.ptr<float>(), lm);
    ops::gaussian_kernel<float>(ctx, {.batch = bh, .rows = n, .cols = m, .dim = d}, scale, q.ptr<float>(), lm, p);
    ops::gaussian_kernel<float>(ctx, {.batch = bh, .rows = m, .cols = m, .dim = d}, scale, lm, lm, a);
    ops::newton_inverse<float>(ctx, newton_shape(s, config_.params), a, inv);
    if (norm_variant(config_.params)) {
      float* dinv = ws.get<float>("soft.d_inv_sqrt", bh * m);
      ops::row_sums<float>(ctx, ops::row_shape(m, m, bh), a, dinv);
      ops::rsqrt_inplace<float>(ctx, bh * m, dinv);
      ops::scale_rows_cols<float>(ctx, ops::row_shape(m, m, bh), dinv, dinv, inv);
    }
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::yes, Trans::no, m, d, n, bh), 1.0f, p, v.ptr<float>(), 0.0f, ptv);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, m, d, m, bh), 1.0f, inv, ptv, 0.0f, zptv);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, n, d, m, bh), 1.0f, p, zptv, 0.0f, out.ptr<float>());
  }

  void forward_own_exact(Context& ctx, const Tensor& q, const Tensor&, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const double one = 1.0;
    std::vector<double> zeros(static_cast<size_t>(s.head_dim), 0.0), ones(static_cast<size_t>(s.head_dim), 1.0);
    const ops::KernelAttentionShape ks{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
                                       .value_dim = s.head_dim, .components = 1, .normalize = false};
    ops::kernel_attention<float>(ctx, ks, quarter_root_scale(s.head_dim), &one, zeros.data(), ones.data(),
                                 q.ptr<float>(), q.ptr<float>(), v.ptr<float>(), out.ptr<float>());
  }

 private:
  MethodConfig config_;
};

void apply_soft_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                       ParamSet& p, Realized& r) {
  const int64_t m = apply_rank_within_seq_len(budget, explicit_params, p, "num_landmarks", s.seq_len);
  r.rank = m;
}

double soft_flops(const CaseShape& s, const ParamSet& p) {
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
  const double m = static_cast<double>(p.get_int("num_landmarks")), it = static_cast<double>(p.get_int("newton_iters"));
  return static_cast<double>(s.heads_total()) *
         (n * d + 2 * n * m * d + 2 * m * m * d + 4 * n * m + it * 2 * 2 * m * m * m + 2 * (2 * n * m * d) + 2 * m * m * d);
}

double soft_workspace(const CaseShape& s, const ParamSet& p, int) {
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len),
               d = static_cast<double>(s.head_dim), m = static_cast<double>(p.get_int("num_landmarks"));
  double floats = bh * (m * d + n * m + 2 * m * m + 2 * m * d);
  if (norm_variant(p)) floats += bh * m;
  // Both kernel calls (P: N x m, A: m x m) share gaussian_kernel's key: P's is the larger (GPU only).
  const int64_t lm = p.get_int("num_landmarks");
  const double kernel = static_cast<double>(ops::gaussian_kernel_scratch_bytes(
      {.batch = s.heads_total(), .rows = s.seq_len, .cols = lm, .dim = s.head_dim}, s.device));
  return floats * sizeof(float) + kernel +
         static_cast<double>(ops::newton_inverse_scratch_bytes(newton_shape(s, p), sizeof(float), s.device));
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "soft",
    .family = "kernel",
    .summary = "SOFT: Gaussian kernel with tied Q = K, pooled landmarks, Newton-Schulz inverse (un-normalized)",
    .paper = "Lu et al., SOFT: Softmax-free Transformer with Linear Complexity, NeurIPS 2021",
    .params = {{.name = "num_landmarks", .type = ParamType::integer, .default_value = int64_t{49}, .min = 1,
                .max = 1 << 20, .doc = "landmarks m (rank)"},
               {.name = "newton_iters", .type = ParamType::integer, .default_value = int64_t{20}, .min = 0,
                .max = 10000, .doc = "Newton-Schulz iterations"},
               {.name = "ridge", .type = ParamType::number, .default_value = 0.01, .min = 0, .max = 1e6,
                .doc = "ridge added to A before inverting (soft; 0 = Moore-Penrose)"},
               {.name = "variant", .type = ParamType::string, .default_value = std::string("soft"),
                .choices = {"soft", "soft-norm"},
                .doc = "soft (NeurIPS) or soft-norm (IJCV: D^-1/2 inverse D^-1/2, global alpha, no ridge)"}},
    .budget_doc = "rank = landmarks m",
    .uses_rank = true,
    .supports_causal = false,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N m d + T m^3) time, O(N m + m^2) memory",
    .reference = ReferenceKind::both,
    .apply_budget = apply_soft_budget,
    .flops = soft_flops,
    .workspace_bytes = soft_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Soft>(c); },
}};

}  // namespace
}  // namespace attn
