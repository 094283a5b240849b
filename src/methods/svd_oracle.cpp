// svd-oracle: the best rank-r attention matrix, by randomized SVD of the materialized A.
//
// Paper: Halko, Martinsson, Tropp, "Finding structure with randomness", SIAM Review 2011 (no
// official code; scikit-learn's randomized_svd consulted for defaults). Card: shared/methods/lowrank.md card 4.
// Approximates: softmax, as O_r = A_r V with A_r = U_r S_r V_r^T the randomized rank-r SVD of
// A = softmax(Q K^T / sqrt d) (fp64, causal mask applied when asked). An ORACLE: it materializes
// A (O(N^2) memory, O(N^2 l (2q + 2)) time) to show what any rank-r method could reach at the
// matrix level; it is not an efficient attention.
// Exactness: rank = N (p = 0) reproduces A up to rounding; q -> infinity reaches Eckart-Young.
// Parameters: rank (32), oversample p (10), power_iters q (2; HMT Alg. 4.4, re-orthonormalized),
// eckart_young_max_n (2048: diagnostics add the exact optimum EY_r from a full SVD up to this N,
// else the upper bracket sqrt(||A||^2 - sum sigma_hat^2)).
// Budget: rank = r; r + p > N is infeasible (skipped).
// Deviations: Omega ~ N(0, 1) from (seed, case, "svd-oracle/omega"), one per head. Diagnostics
// (rel_fro_mat, ey_rel_fro, ratio_to_ey) are computed after the timed calls, not inside forward.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/attention_matrix.hpp"
#include "ops/gemm.hpp"
#include "ops/svd.hpp"

namespace attn {
namespace {

ops::RsvdShape rsvd_shape(const CaseShape& s, const ParamSet& p) {
  return {.rows = s.seq_len, .cols = s.seq_len, .rank = p.get_int("rank"), .oversample = p.get_int("oversample"),
          .power_iters = p.get_int("power_iters")};
}

class SvdOracle final : public Method {
 public:
  explicit SvdOracle(const MethodConfig& c) : config_(c), rs_(rsvd_shape(c.shape, c.params)) {}

  void prepare(Context& ctx) override {
    const int64_t count = config_.shape.heads_total() * rs_.cols * rs_.sketch();
    omega_ = ctx.ws().get<double>("svd_oracle.omega", count);
    Rng(config_.seed, config_.rng_key, "svd-oracle/omega").fill_normal(omega_, count);
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    q_ = q;
    k_ = k;
    threads_ = ctx.threads;
    const int64_t n = rs_.rows, d = config_.shape.head_dim, r = rs_.rank;
    double* a = ctx.ws().get<double>("svd_oracle.a", n * n);
    double* u = ctx.ws().get<double>("svd_oracle.u", n * r);
    double* sv = ctx.ws().get<double>("svd_oracle.s", r);
    double* vt = ctx.ws().get<double>("svd_oracle.vt", r * n);
    double* vd = ctx.ws().get<double>("svd_oracle.v", n * d);
    double* t = ctx.ws().get<double>("svd_oracle.t", r * d);
    double* od = ctx.ws().get<double>("svd_oracle.o", n * d);
    for (int64_t h = 0; h < config_.shape.heads_total(); ++h) {
      factor(ctx, h, a, u, sv, vt);
      std::copy(v.head<float>(h), v.head<float>(h) + n * d, vd);
      ops::gemm<double>(ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, r, d, n), 1.0, vt, vd, 0.0, t);
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < d; ++j) t[i * d + j] *= sv[i];  // S (V_r^T V)
      ops::gemm<double>(ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, d, r), 1.0, u, t, 0.0, od);
      std::copy(od, od + n * d, out.head<float>(h));
    }
  }

  // Matrix-level errors against the Eckart-Young optimum, on a private workspace after the run.
  nlohmann::json diagnostics() const override {
    if (q_.data == nullptr) return {};
    Workspace ws(Device::cpu);
    Context ctx{.device = Device::cpu, .workspace = &ws, .threads = threads_};
    const int64_t n = rs_.rows, r = rs_.rank;
    std::vector<double> a(n * n), u(n * r), sv(r), vt(r * n), full(n);
    double err2 = 0, norm2 = 0, ey2 = 0, bracket2 = 0;
    const bool exact_ey = n <= config_.params.get_int("eckart_young_max_n");
    for (int64_t h = 0; h < config_.shape.heads_total(); ++h) {
      const_cast<SvdOracle*>(this)->factor(ctx, h, a.data(), u.data(), sv.data(), vt.data());
      double head_norm2 = 0, captured = 0;
      for (double x : a) head_norm2 += x * x;
      for (double s : sv) captured += s * s;
      norm2 += head_norm2;
      bracket2 += std::max(0.0, head_norm2 - captured);
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < n; ++j) vt[i * n + j] *= sv[i];
      ops::gemm<double>(ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, n, r), -1.0, u.data(), vt.data(), 1.0,
                        a.data());  // a <- A - A_r
      for (double x : a) err2 += x * x;
      if (exact_ey) {
        const_cast<SvdOracle*>(this)->factor_matrix(ctx, h, a.data());
        ops::singular_values(ctx, n, n, a.data(), full.data());
        for (int64_t j = r; j < n; ++j) ey2 += full[j] * full[j];
      }
    }
    nlohmann::json j{{"rel_fro_mat", std::sqrt(err2 / norm2)}, {"ey_upper_bracket", std::sqrt(bracket2 / norm2)},
                     {"sketch", rs_.sketch()}};
    j["ey_rel_fro"] = exact_ey ? nlohmann::json(std::sqrt(ey2 / norm2)) : nlohmann::json();
    j["ratio_to_ey"] = exact_ey && ey2 > 0 ? nlohmann::json(std::sqrt(err2 / ey2)) : nlohmann::json();
    return j;
  }

 private:
  void factor_matrix(Context& ctx, int64_t h, double* a) const {
    const ops::AttentionMatrixShape as{.batch = 1, .n = rs_.rows, .d = config_.shape.head_dim,
                                       .causal = config_.shape.causal};
    ops::attention_matrix<double>(ctx, as, q_.head<float>(h), k_.head<float>(h), a);
  }
  void factor(Context& ctx, int64_t h, double* a, double* u, double* sv, double* vt) const {
    factor_matrix(ctx, h, a);
    ops::randomized_svd(ctx, rs_, a, omega_ + h * rs_.cols * rs_.sketch(), u, sv, vt);
  }

  MethodConfig config_;
  ops::RsvdShape rs_;
  double* omega_ = nullptr;
  Tensor q_, k_;
  int threads_ = 1;
};

double svd_oracle_workspace(const CaseShape& s, const ParamSet& p, int) {
  const auto rs = rsvd_shape(s, p);
  const double n = double(s.seq_len), d = double(s.head_dim), r = double(rs.rank), l = double(rs.sketch());
  return 8.0 * (double(s.heads_total()) * n * l + n * n + 2 * n * r + r + 2 * n * d + r * d + 2 * n * d) +
         ops::randomized_svd_scratch_bytes(rs);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "svd-oracle",
    .family = "oracle",
    .summary = "ORACLE, O(N^2) by design: randomized rank-r SVD of the materialized softmax matrix, output A_r V",
    .paper = "Halko, Martinsson, Tropp, Finding structure with randomness, SIAM Review 2011",
    .params = {{.name = "rank", .type = ParamType::integer, .default_value = int64_t{32}, .min = 1, .max = 1 << 20,
                .doc = "target rank r"},
               {.name = "oversample", .type = ParamType::integer, .default_value = int64_t{10}, .min = 0, .max = 4096,
                .doc = "oversampling p (sketch l = r + p)"},
               {.name = "power_iters", .type = ParamType::integer, .default_value = int64_t{2}, .min = 0, .max = 100,
                .doc = "power iterations q (re-orthonormalized)"},
               {.name = "eckart_young_max_n", .type = ParamType::integer, .default_value = int64_t{2048}, .min = 0,
                .max = 1 << 16, .doc = "largest N for the exact Eckart-Young optimum (full SVD) in diagnostics"}},
    .budget_doc = "rank = r (r + oversample <= N)",
    .uses_rank = true,
    .supports_causal = true,
    .randomized = true,
    .subquadratic = false,
    .linear_in_v = true,
    .complexity = "O(N^2 (r + p)(2q + 2)) time, O(N^2) memory (oracle)",
    // The oracles read the materialized matrix on the host (LAPACK); they are CPU analysis tools.
    .devices = {Device::cpu},
    .apply_budget = [](const Budget& b, const CaseShape& s, const std::vector<std::string>& ex, ParamSet& p,
                       Realized& r) {
      const int64_t rank = apply_rank(b, ex, p, "rank");
      if (rank + p.get_int("oversample") > s.seq_len)
        throw UnsupportedError("svd-oracle: rank + oversample exceeds N");
      r.rank = rank;
      r.density = 1.0;
    },
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const auto rs = rsvd_shape(s, p);
      const double n = double(s.seq_len), l = double(rs.sketch());
      return double(s.heads_total()) * (2 * n * n * double(s.head_dim) + 2 * n * n * l * double(2 * rs.power_iters + 2));
    },
    .workspace_bytes = svd_oracle_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<SvdOracle>(c); },
}};

}  // namespace
}  // namespace attn
