// ra: randomized attention, the unbiased (quadratic) importance-sampling view of softmax attention.
//
// Paper: Zheng, Wang, Kong, "Linear Complexity Randomized Self-attention Mechanism", ICML 2022
// (official code: HKUNLP/efficient-attention, efficient_attention/randomized_attention.py). Card:
// shared/methods/kernel.md card 3.
// Approximates: softmax. In scaled space x = q d^-1/4, y = k d^-1/4, exact attention is
// y*_n = E_{omega ~ p_n}[f(omega)] with p_n = sum_m pi_nm N(x_n + y_m, I), pi = softmax(x y^T) and
// f(omega) = softmax_m(omega . y_m - |y_m|^2/2) V. Per query and sample s: draw m_s ~ pi_n (inverse
// CDF), omega = x_n + y_{m_s} + eps, out_n = mean over s of f(omega_ns).
// Complexity: O(S N^2 d) time; O(R N) memory, streamed in blocks of R query rows (all heads at once,
// R chosen so one block holds at most kBlockFloats scores). Causal: pi and f restricted to m <= n
// (still unbiased for causal softmax; not in the official code).
// Exactness: none; with noise = theory the error falls like S^-1/2 (unbiased); code_eval plateaus
// at its bias (tested over seeds).
// Parameters: samples (= rank; 1, the code's num_samples = 1), noise (theory: eps ~ N(0, I) in scaled
// space, the paper's estimator; code_train: the code's training noise, unit variance on unscaled
// q + k, i.e. N(0, d^-1/2 I) here; code_eval: no noise, the code's inference mode, biased), center
// (sampled: q + k_{m_s}, num_samples = 1; mean_key: q + mean k, the code's num_samples = 0;
// expected_key: q + E_pi[k], num_samples = -1; the last two are deterministic centres), block_rows
// (R; 0: auto).
// Budget: rank = samples per query S; density 1 (every score is computed).
// Deviations: the code's num_samples > 1 still draws one key per query (multinomial with 1); here S
// samples are drawn and their f averaged, the estimator the paper describes. Categorical draws use
// the inverse CDF of a Philox uniform keyed by (seed, case, "ra/picks") (the code: torch.multinomial);
// the noise is Philox normal keyed by (seed, case, "ra/noise"); both are indexed by (sample, head,
// query), so the block size does not change them.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/gather.hpp"
#include "ops/gemm.hpp"
#include "ops/reduce.hpp"
#include "ops/rowwise.hpp"
#include "ops/sampling.hpp"
#include "ops/softmax.hpp"

namespace attn {
namespace {

using ops::Trans;

// Scores per block buffer (all heads): 4 Mi floats = 16 MiB, so two buffers stay modest at N = 32K.
constexpr int64_t kBlockFloats = int64_t{1} << 22;

enum class Center { sampled, mean_key, expected_key };

Center center_of(const ParamSet& p) {
  const auto& c = p.get_string("center");
  if (c == "mean_key") return Center::mean_key;
  if (c == "expected_key") return Center::expected_key;
  return Center::sampled;
}

// Standard deviation of the noise added to omega in scaled space.
double noise_sd(const CaseShape& s, const ParamSet& p) {
  const auto& n = p.get_string("noise");
  if (n == "code_eval") return 0.0;
  if (n == "code_train") return std::pow(static_cast<double>(s.head_dim), -0.25);
  return 1.0;
}

int64_t block_rows(const CaseShape& s, const ParamSet& p) {
  const int64_t set = p.get_int("block_rows");
  if (set > 0) return std::min(set, s.seq_len);
  return std::clamp<int64_t>(kBlockFloats / std::max<int64_t>(1, s.heads_total() * s.seq_len), 1, s.seq_len);
}

class RandomizedAttention final : public Method {
 public:
  explicit RandomizedAttention(const MethodConfig& c) : config_(c) {}

  // Query positions 0..R-1, shared by every block (its gathers read from row r0 on): copied once
  // here rather than per block in forward, where copy_bytes would be a device barrier.
  void prepare(Context& ctx) override {
    const int64_t rows = block_rows(config_.shape, config_.params);
    std::vector<int64_t> host_rows(static_cast<size_t>(rows));
    std::iota(host_rows.begin(), host_rows.end(), int64_t{0});
    rows_idx_ = ctx.ws().get<int64_t>("ra.rows", rows);
    copy_bytes(rows_idx_, ctx.device, host_rows.data(), Device::cpu, host_rows.size() * sizeof(int64_t));
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const auto& p = config_.params;
    const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim, rows = block_rows(s, p);
    const int64_t samples = p.get_int("samples");
    const Center center = center_of(p);
    const double sd = noise_sd(s, p);
    const float scale = static_cast<float>(quarter_root_scale(d)), inv_sqrt_d = scale * scale;
    auto& ws = ctx.ws();
    float* pi = ws.get<float>("ra.pi", bh * rows * n);
    float* logits = ws.get<float>("ra.logits", bh * rows * n);
    float* omega = ws.get<float>("ra.omega", bh * rows * d);
    float* key_bias = ws.get<float>("ra.key_bias", bh * n);
    int64_t* picks = center == Center::sampled ? ws.get<int64_t>("ra.picks", bh * rows) : nullptr;
    float* key_mean = center == Center::mean_key ? ws.get<float>("ra.key_mean", bh * n * d) : nullptr;
    float* base = center != Center::sampled ? ws.get<float>("ra.omega_base", bh * rows * d) : nullptr;
    const Rng pick_rng(config_.seed, config_.rng_key, "ra/picks"), noise_rng(config_.seed, config_.rng_key, "ra/noise");

    // -|y_m|^2 / 2 per key, the column bias of every f logit; mean_key: the (causal) running mean of k.
    ops::row_sq_norms<float>(ctx, ops::row_shape(n, d, bh), -0.5f * inv_sqrt_d, k.ptr<float>(), key_bias);
    if (key_mean) ops::mean_rows<float>(ctx, bh, n, d, s.causal, k.ptr<float>(), key_mean);

    // Every block buffer is dense [bh, r, .] for the current block's r rows. The draws of (sample t,
    // head b, query i) sit at stream element (t bh + b) N + i (noise: times d), whatever the blocks.
    for (int64_t r0 = 0; r0 < n; r0 += rows) {
      const int64_t r = std::min(rows, n - r0);
      const ops::SoftmaxShape sm{.rows = r, .cols = n, .ld = n, .stride = r * n, .batch = bh,
                                 .causal = s.causal, .causal_offset = r0};
      // Own rows r0 + i of each head: positions i read from row r0 on (heads still n rows apart).
      const ops::GatherShape own{.batch = bh, .src_rows = n, .count = r, .dim = d, .shared_index = true};
      const ops::GatherShape picked{.batch = bh, .src_rows = n, .count = r, .dim = d};

      if (center != Center::mean_key) {  // pi = softmax(x y^T) for this block of queries
        auto scores = ops::gemm_shape(Trans::no, Trans::yes, r, n, d, bh);
        scores.stride_a = n * d;
        ops::gemm<float>(ctx, scores, inv_sqrt_d, q.ptr<float>() + r0 * d, k.ptr<float>(), 0.0f, pi);
        ops::softmax_rows<float>(ctx, sm, 1.0f, pi);
      }
      if (base) {  // the deterministic centres: x_n + mean k or x_n + E_pi[k], once per block
        ops::gather_rows<float>(ctx, own, rows_idx_, q.ptr<float>() + r0 * d, scale, 0.0f, base);
        if (center == Center::mean_key)
          ops::gather_rows<float>(ctx, own, rows_idx_, key_mean + r0 * d, scale, 1.0f, base);
        else
          ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, r, d, n, bh), scale, pi, k.ptr<float>(), 1.0f,
                           base);
      }
      for (int64_t t = 0; t < samples; ++t) {
        // omega = x_n + centre + noise, [bh, r, d].
        if (center == Center::sampled) {
          ops::gather_rows<float>(ctx, own, rows_idx_, q.ptr<float>() + r0 * d, scale, 0.0f, omega);
          for (int64_t b = 0; b < bh; ++b)
            ops::sample_categorical_rows<float>(ctx, {.batch = 1, .n = n, .count = r}, pi + b * r * n, pick_rng,
                                                static_cast<uint64_t>((t * bh + b) * n + r0), picks + b * r);
          ops::gather_rows<float>(ctx, picked, picks, k.ptr<float>(), scale, 1.0f, omega);
        } else {
          ops::axpby<float>(ctx, bh * r * d, 1.0f, base, 0.0f, omega);
        }
        for (int64_t b = 0; b < bh; ++b)
          ops::add_gaussian_noise<float>(ctx, r * d, sd, noise_rng, static_cast<uint64_t>(((t * bh + b) * n + r0) * d),
                                         omega + b * r * d);
        // f logits omega . y_m - |y_m|^2/2, softmax over keys, then out += f V / S.
        ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, r, n, d, bh), scale, omega, k.ptr<float>(), 0.0f,
                         logits);
        ops::add_bias<float>(ctx, ops::row_shape(r, n, bh), nullptr, key_bias, n, logits);
        ops::softmax_rows<float>(ctx, sm, 1.0f, logits);
        auto apply = ops::gemm_shape(Trans::no, Trans::no, r, d, n, bh);
        apply.stride_c = n * d;
        ops::gemm<float>(ctx, apply, 1.0f / static_cast<float>(samples), logits, v.ptr<float>(), t == 0 ? 0.0f : 1.0f,
                         out.ptr<float>() + r0 * d);
      }
    }
  }

 private:
  MethodConfig config_;
  int64_t* rows_idx_ = nullptr;
};

void apply_ra_budget(const Budget& budget, const CaseShape&, const std::vector<std::string>& explicit_params,
                     ParamSet& p, Realized& r) {
  r.rank = apply_rank(budget, explicit_params, p, "samples");
  r.density = 1.0;
}

double ra_flops(const CaseShape& s, const ParamSet& p) {
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
  const double samples = static_cast<double>(p.get_int("samples"));
  // pi scores + softmax and the deterministic centres once; per sample: a draw scanning pi (sampled),
  // the f scores, softmax and f V.
  const Center c = center_of(p);
  const double pi = c == Center::mean_key ? 2 * n * d : 2 * n * n * d + 5 * n * n;
  const double centre = c == Center::expected_key ? 2 * n * n * d : n * d;  // once
  const double per_head =
      pi + centre + samples * ((c == Center::sampled ? n * n : 0.0) + 2 * n * n * d + 5 * n * n + 2 * n * n * d);
  return static_cast<double>(s.heads_total()) * per_head;
}

double ra_workspace(const CaseShape& s, const ParamSet& p, int) {
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len),
               d = static_cast<double>(s.head_dim), rows = static_cast<double>(block_rows(s, p));
  const Center c = center_of(p);
  const double floats = 2 * bh * rows * n + bh * rows * d + bh * n + (c == Center::mean_key ? bh * n * d : 0.0) +
                        (c != Center::sampled ? bh * rows * d : 0.0);
  const double ints = rows + (c == Center::sampled ? bh * rows : 0.0);
  // mean_rows' partial sums on the GPU (none on the CPU).
  const double scan = c == Center::mean_key
                          ? double(ops::mean_rows_scratch_bytes(s.heads_total(), s.seq_len, s.head_dim, s.device))
                          : 0.0;
  return floats * sizeof(float) + ints * sizeof(int64_t) + scan;
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "ra",
    .family = "sampling",
    .summary = "Randomized attention: per-query samples from the exact softmax mixture, unbiased, quadratic",
    .paper = "Zheng et al., Linear Complexity Randomized Self-attention Mechanism, ICML 2022",
    .params = {{.name = "samples", .type = ParamType::integer, .default_value = int64_t{1}, .min = 1,
                .max = 1 << 16, .doc = "samples per query S (rank); their f are averaged"},
               {.name = "noise", .type = ParamType::string, .default_value = std::string("theory"),
                .choices = {"theory", "code_train", "code_eval"},
                .doc = "theory: N(0, I) in scaled space (unbiased); code_train: N(0, d^-1/2 I); code_eval: none"},
               {.name = "center", .type = ParamType::string, .default_value = std::string("sampled"),
                .choices = {"sampled", "mean_key", "expected_key"},
                .doc = "q + k_m with m ~ pi (num_samples=1), q + mean k (0), q + E_pi[k] (-1)"},
               {.name = "block_rows", .type = ParamType::integer, .default_value = int64_t{0}, .min = 0,
                .max = 1 << 24, .doc = "query rows per streamed block (0: auto, <= 16 MiB of scores per buffer)"}},
    .budget_doc = "rank = samples per query S (density 1: every score is computed)",
    .uses_rank = true,
    .supports_causal = true,
    .randomized = true,
    .subquadratic = false,
    .linear_in_v = true,
    .complexity = "O(S N^2 d) time, O(R N) memory (R-row blocks)",
    .apply_budget = apply_ra_budget,
    .flops = ra_flops,
    .workspace_bytes = ra_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<RandomizedAttention>(c); },
}};

}  // namespace
}  // namespace attn
