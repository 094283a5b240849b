// scatterbrain: LSH-bucket sparse attention + Performer low rank, with the Scatterbrain correction.
//
// Paper: Chen, Dao, Winsor, Song, Rudra, Re, "Scatterbrain: Unifying Sparse and Low-rank Attention
// Approximation", NeurIPS 2021 (official code: HazyResearch/fly, sbsmyrf / sblocal attention;
// lowrank.md "Link to Scatterbrain"). Combination: sparse.md card 4b (methods/sparse_lowrank.hpp).
// Approximates: softmax. Support: SimHash (bits sign bits, planes shared by Q and K) codes; queries
// and keys each sorted by code and cut into equal chunks of `chunk` tokens (balanced clusters, as
// SMYRF does); chunk t of the queries attends exactly to chunk t of the keys. Off the support:
// Performer "cosh" features; the low-rank term is subtracted on the support, one normalizer.
// Complexity: O(N c d + N m d + N c m) time, O(N (m + d)) memory; c = chunk.
// Exactness: chunk = N (one cluster) equals softmax up to roundoff; rank 0 is the LSH-clustered
// sparse attention alone.
// Parameters: num_features (m = rank, rounded up to even; 64), chunk (-1: from sparsity, else
// max(1, N / 16)), bits (-1: ceil(log2(N / chunk)), at least 1).
// Budget: rank -> m; sparsity -> rho = 1 - sparsity, chunk = clamp(round(rho N), 1, N) (the bucket
// count is N / chunk); realized_density = (q c^2 + r0^2) / N^2 with N = q c + r0.
// Deviations: SMYRF's asymmetric E2LSH clustering replaced by sorting SimHash codes (one hash
// round); hyperplanes and features drawn once per case from (seed, case, "scatterbrain/...").
// Not causal.
#include <cmath>
#include <vector>

#include "core/device_memory.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "methods/sparse_lowrank.hpp"
#include "ops/block_layout.hpp"
#include "ops/gather.hpp"
#include "ops/lsh.hpp"

namespace attn {
namespace {

int64_t features(const ParamSet& p) { return (p.get_int("num_features") + 1) / 2 * 2; }

int64_t chunk_of(const CaseShape& s, const ParamSet& p) {
  const int64_t c = p.get_int("chunk");
  return std::min(s.seq_len, c > 0 ? c : std::max<int64_t>(1, s.seq_len / 16));
}

int64_t bits_of(const CaseShape& s, const ParamSet& p) {
  if (p.get_int("bits") >= 0) return p.get_int("bits");
  const int64_t clusters = (s.seq_len + chunk_of(s, p) - 1) / chunk_of(s, p);
  int64_t b = 1;
  while ((int64_t{1} << b) < clusters && b < 20) ++b;
  return b;
}

ops::LshShape lsh_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim, .hashes = 1, .bits = bits_of(s, p)};
}

SparseLowRankShape core_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim, .features = features(p),
          .layout = {.block = chunk_of(s, p)}};
}

class Scatterbrain final : public Method {
 public:
  explicit Scatterbrain(const MethodConfig& c)
      : config_(c), lsh_(lsh_shape(c.shape, c.params)), core_(core_shape(c.shape, c.params)) {}

  void prepare(Context& ctx) override {
    layout_ = ops::local_layout(core_.seq_len, core_.layout.block, 0);  // chunk t <-> chunk t
    core_.layout = ops::upload_layout(ctx, layout_, "scatterbrain.layout");
    const int64_t count = std::max<int64_t>(1, lsh_.batch * lsh_.bits * lsh_.head_dim);
    std::vector<float> host(static_cast<size_t>(count));
    Rng(config_.seed, config_.rng_key, "scatterbrain/planes").fill_normal(host.data(), count);
    planes_ = ctx.ws().get<float>("scatterbrain.planes", count);
    copy_bytes(planes_, ctx.device, host.data(), Device::cpu, host.size() * sizeof(float));
    w_ = draw_sparse_lowrank_projection(ctx, Rng(config_.seed, config_.rng_key, "scatterbrain/features"),
                                        core_.features, core_.head_dim, "scatterbrain.w");
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const int64_t bh = lsh_.batch, n = lsh_.seq_len, d = lsh_.head_dim;
    auto& ws = ctx.ws();
    auto* codes = ws.get<int32_t>("scatterbrain.codes", 2 * bh * n);
    auto* perm = ws.get<int64_t>("scatterbrain.perm", 2 * bh * n);
    float* sorted = ws.get<float>("scatterbrain.sorted", 4 * bh * n * d);  // q, k, v, out in sorted order
    ops::lsh_hash<float>(ctx, lsh_, q.ptr<float>(), planes_, codes);
    ops::lsh_hash<float>(ctx, lsh_, k.ptr<float>(), planes_, codes + bh * n);
    ops::lsh_sort(ctx, lsh_, codes, perm);
    ops::lsh_sort(ctx, lsh_, codes + bh * n, perm + bh * n);
    const ops::GatherShape g{.batch = bh, .src_rows = n, .count = n, .dim = d};
    float *qs = sorted, *ks = sorted + bh * n * d, *vs = sorted + 2 * bh * n * d, *os = sorted + 3 * bh * n * d;
    ops::gather_rows<float>(ctx, g, perm, q.ptr<float>(), 1.0f, 0.0f, qs);
    ops::gather_rows<float>(ctx, g, perm + bh * n, k.ptr<float>(), 1.0f, 0.0f, ks);
    ops::gather_rows<float>(ctx, g, perm + bh * n, v.ptr<float>(), 1.0f, 0.0f, vs);
    sparse_lowrank_forward(ctx, core_, w_, qs, ks, vs, os, "scatterbrain");
    ops::scatter_rows<float>(ctx, g, perm, os, out.ptr<float>());
  }

  nlohmann::json diagnostics() const override {
    return {{"chunk", core_.layout.block}, {"clusters", layout_.blocks}, {"bits", lsh_.bits},
            {"num_features", core_.features}};
  }

 private:
  MethodConfig config_;
  ops::LshShape lsh_;
  SparseLowRankShape core_;
  ops::BlockLayout layout_;
  float* planes_ = nullptr;
  float* w_ = nullptr;
};

void apply_budget(const Budget& budget, const CaseShape& s, const std::vector<std::string>& explicit_params,
                  ParamSet& p, Realized& r) {
  if (s.causal) throw UnsupportedError("scatterbrain: not causal (LSH clusters mix past and future)");
  apply_rank(budget, explicit_params, p, "num_features");
  p.set("num_features", features(p));
  const int64_t n = s.seq_len;
  if (budget.sparsity && !is_explicit(explicit_params, "chunk"))
    p.set("chunk", std::clamp<int64_t>(round_to_int(budget_density(budget) * n), 1, n));
  p.set("chunk", chunk_of(s, p));
  p.set("bits", bits_of(s, p));
  const int64_t c = chunk_of(s, p), full = n / c, rest = n % c;
  r.rank = features(p);
  r.density = (static_cast<double>(full) * c * c + static_cast<double>(rest) * rest) / (double(n) * double(n));
}

double scatterbrain_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len);
  const double d = static_cast<double>(s.head_dim);
  const auto l = lsh_shape(s, p);
  const double nb = std::ceil(n / static_cast<double>(chunk_of(s, p)));
  const double planes = 4.0 * std::max<double>(1, bh * static_cast<double>(l.bits) * d);
  const double layout = 8.0 * (nb + 1 + nb);
  // Both sorts (queries, keys) reuse lsh_sort's keys (GPU only).
  return planes + layout + 2 * 4 * bh * n + 2 * 8 * bh * n + 4 * 4 * bh * n * d +
         static_cast<double>(ops::lsh_sort_scratch_bytes(l, s.device)) +
         sparse_lowrank_workspace_bytes(core_shape(s, p), threads, s.device);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "scatterbrain",
    .family = "hybrid",
    .summary = "Scatterbrain: exact attention in LSH clusters (sorted SimHash chunks) + Performer low rank "
               "elsewhere, one normalizer",
    .paper = "Chen et al., Scatterbrain: Unifying Sparse and Low-rank Attention Approximation, NeurIPS 2021",
    .params = {{.name = "num_features", .type = ParamType::integer, .default_value = int64_t{64}, .min = 0,
                .max = 1 << 16, .doc = "Performer feature columns m (rank; rounded up to even; 0: no low rank)"},
               {.name = "chunk", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1,
                .doc = "tokens per LSH cluster (-1: from sparsity, else N/16)"},
               {.name = "bits", .type = ParamType::integer, .default_value = int64_t{-1}, .min = -1, .max = 20,
                .doc = "SimHash bits (-1: ceil(log2(clusters)))"}},
    .budget_doc = "rank -> num_features; sparsity -> chunk = round(rho N) (bucket count N / chunk)",
    .uses_rank = true,
    .uses_sparsity = true,
    .supports_causal = false,
    .randomized = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N c (d + m) + N m d) time, O(N (m + d)) memory",
    .apply_budget = apply_budget,
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
      const double m = static_cast<double>(features(p)), c = static_cast<double>(chunk_of(s, p));
      return static_cast<double>(s.heads_total()) * (n * c * (6 * d + 2 * m) + 2 * n * d * m + 4 * n * m * d);
    },
    .workspace_bytes = scatterbrain_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Scatterbrain>(c); },
}};

}  // namespace
}  // namespace attn
