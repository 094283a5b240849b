// sparse-lowrank-oracle: the best sparse + low-rank attention matrix at a (rank, density) budget.
//
// Papers: Zhou & Tao, "GoDec: Randomized Low-rank & Sparse Matrix Decomposition in Noisy Case",
// ICML 2011; Candes, Li, Ma, Wright, "Robust Principal Component Analysis?", J. ACM 2011, solved by
// IALM (Lin, Chen, Ma 2010; reference inexact_alm_rpca.m). Card: shared/methods/lowrank.md card 5.
// Approximates: softmax, as O = (L + S) V with A = softmax(Q K^T / sqrt d) ~ L + S materialized
// in fp64. An ORACLE (O(N^3) per round with full SVDs, O(N^2) memory): it shows what sparse +
// low-rank methods (Scatterbrain, BigBird + global, ...) could reach at a budget.
//   mode=godec (default): rank(L) <= r and nnz(S) = floor(rho N^2); alternating exact projections
//     from S0 = 0 and L0 = 0, the better kept, so its error is <= min(EY_r, sparse-only).
//   mode=rpca (analysis): PCP by IALM with lambda = lambda_scale / sqrt(N); the output uses L and S
//     thresholded at `threshold` relative to sigma_1(L) and max|S|; diagnostics add the
//     (rank_eff, dens_eff, rel_fro) frontier over lambda_sweep (thresholds 1e-2 and 1e-3).
// Exactness: rank = N or density = 1 reproduce A.
// Parameters: rank (8), density (-1: from sparsity, else 0.05), mode (godec), max_iters (20 GoDec
// rounds per start / 500 IALM iterations), lambda_scale (1), lambda_sweep ("0.25,0.5,1,2,4"),
// threshold (1e-3).
// Budget: rank = r; sparsity -> density rho = 1 - sparsity (nonzeros of S = floor(rho N^2)).
// Deviations: full SVDs instead of PROPACK's partial SVD (the card's advice at these sizes).
#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/attention_matrix.hpp"
#include "ops/gemm.hpp"
#include "ops/sparse_lowrank.hpp"
#include "ops/svd.hpp"

namespace attn {
namespace {

constexpr int kIalmIters = 500;
constexpr double kIalmTol = 1e-7;

double density(const ParamSet& p) { return p.get_double("density") < 0 ? 0.05 : p.get_double("density"); }
int64_t nonzeros(const CaseShape& s, const ParamSet& p) {
  return static_cast<int64_t>(std::floor(density(p) * double(s.seq_len) * double(s.seq_len)));
}

struct Thresholded {
  int64_t rank_eff = 0;
  double dens_eff = 0, rel_fro = 0;
};

class SparseLowRankOracle final : public Method {
 public:
  explicit SparseLowRankOracle(const MethodConfig& c) : config_(c) {}

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    q_ = q;
    k_ = k;
    threads_ = ctx.threads;
    const int64_t n = config_.shape.seq_len, d = config_.shape.head_dim;
    double* a = ctx.ws().get<double>("slr_oracle.a", n * n);
    double* l = ctx.ws().get<double>("slr_oracle.l", n * n);
    double* s = ctx.ws().get<double>("slr_oracle.s", n * n);
    double* vd = ctx.ws().get<double>("slr_oracle.v", n * d);
    double* od = ctx.ws().get<double>("slr_oracle.o", n * d);
    last_.clear();
    for (int64_t h = 0; h < config_.shape.heads_total(); ++h) {
      materialize(ctx, h, a);
      if (config_.params.get_string("mode") == "godec") {
        const auto g = ops::godec(ctx, n, n, config_.params.get_int("rank"), nonzeros(config_.shape, config_.params),
                                  int(config_.params.get_int("max_iters")), 1e-6, a, l, s);
        last_.push_back({{"rel_fro_mat", g.rel_fro}, {"lowrank_only", g.lowrank_only}, {"sparse_only", g.sparse_only},
                         {"iterations", g.iterations}});
      } else {
        const auto t = rpca(ctx, a, l, s, config_.params.get_double("lambda_scale"),
                            config_.params.get_double("threshold"));
        last_.push_back({{"rel_fro_mat", t.rel_fro}, {"rank_eff", t.rank_eff}, {"dens_eff", t.dens_eff}});
      }
      for (int64_t i = 0; i < n * n; ++i) l[i] += s[i];
      std::copy(v.head<float>(h), v.head<float>(h) + n * d, vd);
      ops::gemm<double>(ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, d, n), 1.0, l, vd, 0.0, od);
      std::copy(od, od + n * d, out.head<float>(h));
    }
  }

  nlohmann::json diagnostics() const override {
    nlohmann::json j{{"heads", last_}};
    if (config_.params.get_string("mode") != "rpca" || q_.data == nullptr) return j;
    // The lambda sweep of the analysis mode, on a private workspace (first head).
    Workspace ws(Device::cpu);
    Context ctx{.device = Device::cpu, .workspace = &ws, .threads = threads_};
    const int64_t n = config_.shape.seq_len;
    std::vector<double> a(n * n), l(n * n), s(n * n);
    nlohmann::json sweep = nlohmann::json::array();
    std::stringstream list(config_.params.get_string("lambda_sweep"));
    for (std::string item; std::getline(list, item, ',');) {
      const double c = std::stod(item);
      for (double tau : {1e-2, 1e-3}) {
        materialize(ctx, 0, a.data());
        const auto t = rpca(ctx, a.data(), l.data(), s.data(), c, tau);
        sweep.push_back({{"lambda_scale", c}, {"threshold", tau}, {"rank_eff", t.rank_eff},
                         {"dens_eff", t.dens_eff}, {"rel_fro_mat", t.rel_fro}});
      }
    }
    j["lambda_sweep"] = sweep;
    return j;
  }

 private:
  void materialize(Context& ctx, int64_t h, double* a) const {
    const ops::AttentionMatrixShape as{.batch = 1, .n = config_.shape.seq_len, .d = config_.shape.head_dim,
                                       .causal = config_.shape.causal};
    ops::attention_matrix<double>(ctx, as, q_.head<float>(h), k_.head<float>(h), a);
  }

  // PCP, then L and S thresholded relative to sigma_1(L) and max|S| (the card's effective budget).
  Thresholded rpca(Context& ctx, const double* a, double* l, double* s, double scale, double tau) const {
    const int64_t n = config_.shape.seq_len, count = n * n;
    ops::rpca_ialm(ctx, n, n, scale / std::sqrt(double(n)), kIalmTol, kIalmIters, a, l, s);
    std::vector<double> sigma(static_cast<size_t>(n));
    ops::svd_shrink(ctx, {.rows = n, .cols = n}, l, l, sigma.data());
    Thresholded t;
    while (t.rank_eff < n && sigma[t.rank_eff] > tau * sigma[0]) ++t.rank_eff;
    ops::svd_shrink(ctx, {.rows = n, .cols = n, .rank = t.rank_eff}, l, l);
    double smax = 0, err = 0, norm = 0;
    for (int64_t i = 0; i < count; ++i) smax = std::max(smax, std::abs(s[i]));
    int64_t kept = 0;
    for (int64_t i = 0; i < count; ++i) {
      if (std::abs(s[i]) > tau * smax) ++kept; else s[i] = 0;
      err += (a[i] - l[i] - s[i]) * (a[i] - l[i] - s[i]);
      norm += a[i] * a[i];
    }
    t.dens_eff = double(kept) / double(count);
    t.rel_fro = std::sqrt(err / norm);
    return t;
  }

  MethodConfig config_;
  Tensor q_, k_;
  int threads_ = 1;
  std::vector<nlohmann::json> last_;
};

double slr_workspace(const CaseShape& s, const ParamSet&, int) {
  const double n = double(s.seq_len), d = double(s.head_dim);
  return 8.0 * (3 * n * n + 2 * n * d + 2 * n * d) + ops::sparse_lowrank_scratch_bytes(s.seq_len, s.seq_len);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "sparse-lowrank-oracle",
    .family = "oracle",
    .summary = "ORACLE, O(N^3) by design: best sparse + low-rank softmax matrix at a (rank, density) budget (GoDec; RPCA analysis)",
    .paper = "Zhou & Tao, GoDec, ICML 2011; Candes et al., Robust Principal Component Analysis?, J. ACM 2011",
    .params = {{.name = "rank", .type = ParamType::integer, .default_value = int64_t{8}, .min = 0, .max = 1 << 20,
                .doc = "rank of L"},
               {.name = "density", .type = ParamType::number, .default_value = -1.0, .min = -1, .max = 1,
                .doc = "fraction of N^2 entries in S (-1: from sparsity, else 0.05)"},
               {.name = "mode", .type = ParamType::string, .default_value = std::string("godec"),
                .choices = {"godec", "rpca"}, .doc = "godec: fixed budget; rpca: IALM analysis"},
               {.name = "max_iters", .type = ParamType::integer, .default_value = int64_t{20}, .min = 1, .max = 1000,
                .doc = "GoDec rounds per start"},
               {.name = "lambda_scale", .type = ParamType::number, .default_value = 1.0, .min = 1e-6, .max = 1e6,
                .doc = "rpca: lambda = lambda_scale / sqrt(N)"},
               {.name = "lambda_sweep", .type = ParamType::string, .default_value = std::string("0.25,0.5,1,2,4"),
                .doc = "rpca diagnostics: lambda scales of the (rank_eff, dens_eff, error) frontier"},
               {.name = "threshold", .type = ParamType::number, .default_value = 1e-3, .min = 0, .max = 1,
                .doc = "rpca: relative threshold for the effective rank and density"}},
    .budget_doc = "rank = rank(L); sparsity -> density of S = 1 - sparsity",
    .uses_rank = true,
    .uses_sparsity = true,
    .supports_causal = true,
    .subquadratic = false,
    .linear_in_v = true,
    .complexity = "O(N^3) per round (full SVD), O(N^2) memory (oracle)",
    // The oracles read the materialized matrix on the host (LAPACK); they are CPU analysis tools.
    .devices = {Device::cpu},
    .apply_budget = [](const Budget& b, const CaseShape& s, const std::vector<std::string>& ex, ParamSet& p,
                       Realized& r) {
      const int64_t rank = apply_rank(b, ex, p, "rank");
      if (b.sparsity && !is_explicit(ex, "density")) p.set("density", budget_density(b));
      if (rank > s.seq_len) throw UnsupportedError("sparse-lowrank-oracle: rank exceeds N");
      if (p.get_string("mode") == "godec") {
        r.rank = rank;
        r.density = double(nonzeros(s, p)) / (double(s.seq_len) * double(s.seq_len));
      }
    },
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const double n = double(s.seq_len);
      return double(s.heads_total()) * double(2 * p.get_int("max_iters")) * 10 * n * n * n;
    },
    .workspace_bytes = slr_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<SparseLowRankOracle>(c); },
}};

}  // namespace
}  // namespace attn
