// skeinformer: sketched softmax attention by importance column sampling, adaptive row normalization
// and pilot-sampling reutilization.
//
// Paper: Chen et al., "Sketching as a Tool for Understanding and Accelerating Self-attention for Long
// Sequences", NAACL 2022 (official code: pkuzengqi/Skeinformer, src/models/attention_skeinformer.py,
// SkeinAttention). Card: shared/methods/lowrank.md card 3 (Algorithm 1).
// Approximates: softmax, O = D^-1 A V, as B V ~ B S S^T V with columns S drawn by importance.
//   1. pilot rows J (d, uniform with replacement) and their exact rows B_J = softmax(q_J k^T / sqrt p);
//   2. column probabilities p_i ~ |B_J[:, i]| |V_i| (+ a 1e-12 floor), d columns J' drawn without
//      replacement (Gumbel top-k, ops/sampling.hpp);
//   3. L = q k_J'^T / sqrt p, A = exp(L - rowmax); g_i = exp(mean_k L_ik - rowmax) fills every
//      unselected column: den_i = sum_k A_ik + (N - d) g_i, out = (A V_J' + g v_rest^T) / den with
//      v_rest = sum of the unselected rows of V;
//   4. pilot reuse: out[J] = B_J V (exact rows).
// Complexity: O(N d p) time, O(N d) memory. Not causal (the fill and normalizer use all N columns).
// Exactness: d = N columns (full_columns = true) gives exact softmax attention (tested to 2x the
// plain fp32 error); Q = 0 gives mean(V) exactly.
// Parameters: num_features (d = rank; 256, the paper's and config's value), full_columns (false: the
// official cap d <= N - 1; true allows d = N), column_sampling (importance | uniform: the "w/o column
// sampling" ablation), normalization (adaptive | simple: softmax over the sampled columns only, the
// Informer-style ablation), pilot_reuse (true; false: the "w/o pilot reutilization" ablation).
// Budget: rank = d sampled columns; sparsity: d = round(rho N / 2) (pilot rows d N + columns N d of
// the N^2 scores); realized density 2 d / N (d / N without a pilot). rank > N is skipped.
// Deviations: max-subtraction in the exponentials (the code has none; it cancels); the pilot rows are
// drawn once per case (the code draws per call); the probability floor is 1e-12 on the unnormalized
// scores |B_J[:, i]| |V_i| rather than on the normalized p_i (it only keeps zero scores drawable).
#include <algorithm>
#include <cmath>

#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/gather.hpp"
#include "ops/gemm.hpp"
#include "ops/rowwise.hpp"
#include "ops/sampling.hpp"
#include "ops/softmax.hpp"

namespace attn {
namespace {

using ops::Trans;

constexpr double kProbabilityFloor = 1e-12;

struct Plan {
  int64_t columns = 0;  // d
  bool importance = true, adaptive = true, reuse = true;
  bool pilot() const { return importance || reuse; }
};

Plan plan_of(const ParamSet& p) {
  return {.columns = p.get_int("num_features"), .importance = p.get_string("column_sampling") == "importance",
          .adaptive = p.get_string("normalization") == "adaptive", .reuse = p.get_bool("pilot_reuse")};
}

class Skeinformer final : public Method {
 public:
  explicit Skeinformer(const MethodConfig& c) : config_(c), plan_(plan_of(c.params)) {}

  void prepare(Context& ctx) override {
    const int64_t bh = config_.shape.heads_total(), n = config_.shape.seq_len, m = plan_.columns;
    const ops::SampleShape shape{.batch = bh, .n = n, .count = m};
    cols_ = ctx.ws().get<int64_t>("skeinformer.columns", bh * m);
    if (plan_.pilot()) {
      pilot_ = ctx.ws().get<int64_t>("skeinformer.pilot", bh * m);
      ops::sample_with_replacement(ctx, shape, Rng(config_.seed, config_.rng_key, "skeinformer/pilot"), 0, pilot_);
    }
    if (!plan_.importance)  // uniform columns do not depend on the data
      ops::sample_without_replacement<float>(ctx, shape, nullptr, nullptr, 0.0,
                                             Rng(config_.seed, config_.rng_key, "skeinformer/columns"), 0, cols_);
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), n = s.seq_len, p = s.head_dim, m = plan_.columns;
    const float inv_sqrt_p = 1.0f / std::sqrt(static_cast<float>(p));
    auto& ws = ctx.ws();
    const ops::GatherShape pick{.batch = bh, .src_rows = n, .count = m, .dim = p};
    float* rows_q = ws.get<float>("skeinformer.rows_q", bh * m * p);  // q_J, then k_J'
    float* cols_v = ws.get<float>("skeinformer.cols_v", bh * m * p);
    float* scores = ws.get<float>("skeinformer.scores", bh * n * m);  // L [N, d]
    float* row_sum = ws.get<float>("skeinformer.row_sum", bh * n);
    float* geomean = ws.get<float>("skeinformer.geomean", bh * n);

    float* pilot_rows = nullptr;  // B_J [d, N]
    if (plan_.pilot()) {
      pilot_rows = ws.get<float>("skeinformer.pilot_rows", bh * m * n);
      ops::gather_rows<float>(ctx, pick, pilot_, q.ptr<float>(), 1.0f, 0.0f, rows_q);
      ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, m, n, p, bh), inv_sqrt_p, rows_q, k.ptr<float>(),
                       0.0f, pilot_rows);
      ops::softmax_rows<float>(ctx, {.rows = m, .cols = n, .ld = n, .stride = m * n, .batch = bh}, 1.0f, pilot_rows);
    }
    if (plan_.importance) {  // p_i ~ |B_J[:, i]| |V_i|: the op samples by sqrt(a_i b_i) of squared norms
      float* col_sq = ws.get<float>("skeinformer.col_sq", bh * n);
      float* v_sq = ws.get<float>("skeinformer.v_sq", bh * n);
      ops::col_sq_norms<float>(ctx, ops::row_shape(m, n, bh), 1.0f, pilot_rows, col_sq);
      ops::row_sq_norms<float>(ctx, ops::row_shape(n, p, bh), 1.0f, v.ptr<float>(), v_sq);
      ops::sample_without_replacement<float>(ctx, {.batch = bh, .n = n, .count = m}, col_sq, v_sq, kProbabilityFloor,
                                             Rng(config_.seed, config_.rng_key, "skeinformer/columns"), 0, cols_);
    }

    // L = q k_J'^T / sqrt p, then A = exp(L - rowmax) with its row sums and geometric means.
    ops::gather_rows<float>(ctx, pick, cols_, k.ptr<float>(), 1.0f, 0.0f, rows_q);
    ops::gather_rows<float>(ctx, pick, cols_, v.ptr<float>(), 1.0f, 0.0f, cols_v);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, n, m, p, bh), inv_sqrt_p, q.ptr<float>(), rows_q,
                     0.0f, scores);
    const auto apply = ops::gemm_shape(Trans::no, Trans::no, n, p, m, bh);
    if (!plan_.adaptive) {
      ops::softmax_rows<float>(ctx, {.rows = n, .cols = m, .ld = m, .stride = n * m, .batch = bh}, 1.0f, scores);
      ops::gemm<float>(ctx, apply, 1.0f, scores, cols_v, 0.0f, out.ptr<float>());
    } else {
      ops::exp_rows_with_stats<float>(ctx, ops::row_shape(n, m, bh), scores, row_sum, geomean);
      ops::gemm<float>(ctx, apply, 1.0f, scores, cols_v, 0.0f, out.ptr<float>());
      if (m < n) {  // the N - d unselected columns, each filled with the row's geometric mean
        float* v_rest = ws.get<float>("skeinformer.v_rest", bh * p);
        float* v_sel = ws.get<float>("skeinformer.v_sel", bh * p);
        ops::col_sums<float>(ctx, ops::row_shape(n, p, bh), 1.0f, v.ptr<float>(), v_rest);
        ops::col_sums<float>(ctx, ops::row_shape(m, p, bh), 1.0f, cols_v, v_sel);
        ops::axpby<float>(ctx, bh * p, -1.0f, v_sel, 1.0f, v_rest);
        ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, n, p, 1, bh), 1.0f, geomean, v_rest, 1.0f,
                         out.ptr<float>());
        ops::axpby<float>(ctx, bh * n, static_cast<float>(n - m), geomean, 1.0f, row_sum);
      }
      ops::divide_rows_guarded<float>(ctx, ops::row_shape(n, p, bh), row_sum, 0.0, nullptr, out.ptr<float>());
    }
    if (plan_.reuse) {  // the pilot rows are exact: out[J] = B_J V
      float* exact = ws.get<float>("skeinformer.exact_rows", bh * m * p);
      ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, m, p, n, bh), 1.0f, pilot_rows, v.ptr<float>(), 0.0f,
                       exact);
      ops::scatter_rows<float>(ctx, pick, pilot_, exact, out.ptr<float>());
    }
  }

 private:
  MethodConfig config_;
  Plan plan_;
  int64_t* pilot_ = nullptr;
  int64_t* cols_ = nullptr;
};

void apply_skein_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                        ParamSet& p, Realized& r) {
  if (s.causal) throw UnsupportedError("skeinformer: not causal (the fill and normalizer use all N columns)");
  if (budget.rank && budget.sparsity)
    throw UsageError("skeinformer: give rank (sampled columns) or sparsity (d = round(rho N / 2)), not both");
  const int64_t n = s.seq_len;
  if (budget.sparsity && !is_explicit(explicit_params, "num_features"))
    p.set("num_features", std::max<int64_t>(1, round_to_int(budget_density(budget) * static_cast<double>(n) / 2)));
  const int64_t d = apply_rank_within_seq_len(budget, explicit_params, p, "num_features", n);
  if (!p.get_bool("full_columns")) p.set("num_features", std::max<int64_t>(1, std::min(d, n - 1)));  // official cap
  const Plan plan = plan_of(p);
  r.rank = plan.columns;
  r.density = std::min(1.0, (plan.pilot() ? 2.0 : 1.0) * static_cast<double>(plan.columns) / static_cast<double>(n));
}

double skein_flops(const CaseShape& s, const ParamSet& p) {
  const Plan plan = plan_of(p);
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim),
               m = static_cast<double>(plan.columns);
  double per_head = 2 * n * m * d + 5 * n * m + 2 * n * m * d + 2 * n * d;  // L, exp, A V_J', fill
  if (plan.pilot()) per_head += 2 * m * n * d + 5 * m * n;                  // B_J
  if (plan.importance) per_head += 2 * m * n + 2 * n * d + 4 * n;           // scores and the draw
  if (plan.reuse) per_head += 2 * m * n * d;                                 // B_J V
  return static_cast<double>(s.heads_total()) * per_head;
}

double skein_workspace(const CaseShape& s, const ParamSet& p, int) {
  const Plan plan = plan_of(p);
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len),
               d = static_cast<double>(s.head_dim), m = static_cast<double>(plan.columns);
  double floats = 2 * m * d + n * m + 2 * n;
  if (plan.pilot()) floats += m * n;
  if (plan.importance) floats += 2 * n;
  if (plan.adaptive && plan.columns < s.seq_len) floats += 2 * d;
  if (plan.reuse) floats += m * d;
  const double ints = (plan.pilot() ? 2 : 1) * m;
  // GPU only (0 on the CPU): the Gumbel keys of the column draw and the guarded division's counter.
  const double keys = double(ops::sample_without_replacement_scratch_bytes(
      {.batch = s.heads_total(), .n = s.seq_len, .count = plan.columns}, s.device));
  const double counter = plan.adaptive ? double(ops::divide_rows_guarded_scratch_bytes(s.device)) : 0.0;
  return bh * (floats * sizeof(float) + ints * sizeof(int64_t)) + keys + counter;
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "skeinformer",
    .family = "sampling",
    .summary = "Skeinformer: importance column sampling, adaptive row normalization, exact pilot rows",
    .paper = "Chen et al., Sketching as a Tool for Understanding and Accelerating Self-attention, NAACL 2022",
    .params = {{.name = "num_features", .type = ParamType::integer, .default_value = int64_t{256}, .min = 1,
                .max = 1 << 20, .doc = "sampled columns d (rank); also the pilot rows"},
               {.name = "full_columns", .type = ParamType::boolean, .default_value = false,
                .doc = "allow d = N (exact); false: the official cap d <= N - 1"},
               {.name = "column_sampling", .type = ParamType::string, .default_value = std::string("importance"),
                .choices = {"importance", "uniform"}, .doc = "p_i ~ |B_J[:, i]| |V_i|, or uniform (ablation)"},
               {.name = "normalization", .type = ParamType::string, .default_value = std::string("adaptive"),
                .choices = {"adaptive", "simple"},
                .doc = "adaptive: geometric-mean fill of unselected columns; simple: softmax over selected"},
               {.name = "pilot_reuse", .type = ParamType::boolean, .default_value = true,
                .doc = "replace the pilot rows by their exact attention rows"}},
    .budget_doc = "rank = sampled columns d; sparsity: d = round(rho N / 2) (pilot rows + columns)",
    .uses_rank = true,
    .uses_sparsity = true,
    .supports_causal = false,
    .randomized = true,
    .subquadratic = true,
    .linear_in_v = false,
    .complexity = "O(N d p) time, O(N d) memory",
    .apply_budget = apply_skein_budget,
    .flops = skein_flops,
    .workspace_bytes = skein_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Skeinformer>(c); },
}};

}  // namespace
}  // namespace attn
