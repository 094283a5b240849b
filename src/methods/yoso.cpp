// yoso: LSH Bernoulli-sampling attention ("You Only Sample (Almost) Once").
//
// Paper: Zeng et al., "You Only Sample (Almost) Once: Linear Cost Self-Attention Via Bernoulli
// Sampling", ICML 2021 (official code: mlpen/YOSO, yoso_v1/yoso.py, kernel.py). Card: sparse.md card 6.
// Approximates: NOT softmax. The LSH collision kernel B(q, k) = (1 - theta(q, k)/pi)^tau: the
// unnormalized Y_i = sum_j B(q_i, k_j) v_j is estimated without bias by m hashes of tau sign bits
// (Y_i = (1/m) sum_f sum of v_j over keys in q_i's bucket), then O_i = Y_i / |Y_i| (official L2
// normalization; no softmax denominator, no 1/sqrt(d)). Own exact reference: YOSO-E (the same
// kernel evaluated exactly, O(N^2)), reported as own_error (pure sampling error); its error against
// softmax is meaningful as mean_cos only (directions; magnitudes differ by design: kernel_mismatch).
// Complexity: O(N m (d tau + d)) time, O(N m + 2^tau d) memory (codes, one table slice per worker).
// Exactness: none; converges to YOSO-E as m grows (error ~ 1/sqrt(m), tested over seeds).
// Parameters: num_hashes (= rank; 32), bits (tau; 9, the BERT config).
// Budget: rank -> num_hashes. sparsity n/a.
// Deviations: Gaussian hyperplanes (the official v1 `hashing()` exact variant; the fast Hadamard
// hash of v2 shares rotations within a part); hyperplanes drawn once per case and head from
// (seed, case, "yoso/planes") instead of per call; no N mod 4 truncation; exact clamp-only YOSO-E
// (no 0.98 factor); the optional conv_window term is a model feature and is left out. Not causal.
#include <cmath>
#include <vector>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/angular_kernel.hpp"
#include "ops/lsh.hpp"
#include "ops/rowwise.hpp"

namespace attn {
namespace {

ops::LshShape lsh_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
          .hashes = p.get_int("num_hashes"), .bits = p.get_int("bits")};
}

ops::AngularKernelShape exact_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim, .value_dim = s.head_dim,
          .bits = p.get_int("bits")};
}

class Yoso final : public Method {
 public:
  explicit Yoso(const MethodConfig& c) : config_(c), lsh_(lsh_shape(c.shape, c.params)) {}

  void prepare(Context& ctx) override {
    const int64_t count = lsh_.batch * lsh_.hashes * lsh_.bits * lsh_.head_dim;
    std::vector<float> host(static_cast<size_t>(count));
    Rng(config_.seed, config_.rng_key, "yoso/planes").fill_normal(host.data(), count);
    planes_ = ctx.ws().get<float>("yoso.planes", std::max<int64_t>(1, count));
    copy_bytes(planes_, ctx.device, host.data(), Device::cpu, host.size() * sizeof(float));
  }

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const int64_t codes = lsh_.batch * lsh_.hashes * lsh_.seq_len;
    auto* qc = ctx.ws().get<int32_t>("yoso.q_codes", codes);
    auto* kc = ctx.ws().get<int32_t>("yoso.k_codes", codes);
    ops::lsh_hash<float>(ctx, lsh_, q.ptr<float>(), planes_, qc);
    ops::lsh_hash<float>(ctx, lsh_, k.ptr<float>(), planes_, kc);
    ops::lsh_bucket_sum<float>(ctx, lsh_, lsh_.head_dim, qc, kc, v.ptr<float>(), out.ptr<float>());
    normalize(ctx, out);
  }

  void forward_own_exact(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    ops::angular_kernel_attention<float>(ctx, exact_shape(config_.shape, config_.params), q.ptr<float>(),
                                         k.ptr<float>(), v.ptr<float>(), out.ptr<float>());
    normalize(ctx, out);
  }

  nlohmann::json diagnostics() const override {
    return {{"num_hashes", lsh_.hashes}, {"bits", lsh_.bits}, {"kernel_mismatch", true},
            {"output", "L2-normalized rows: compare with softmax by mean_cos"}};
  }

 private:
  void normalize(Context& ctx, Tensor& out) const {
    ops::normalize_rows<float>(ctx, ops::row_shape(lsh_.seq_len, lsh_.head_dim, lsh_.batch), 1.0f, out.ptr<float>(),
                               out.ptr<float>());
  }

  MethodConfig config_;
  ops::LshShape lsh_;
  float* planes_ = nullptr;
};

double yoso_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const auto l = lsh_shape(s, p);
  const double planes = 4.0 * static_cast<double>(std::max<int64_t>(1, l.batch * l.hashes * l.bits * l.head_dim));
  const double codes = 2.0 * 4.0 * static_cast<double>(l.batch * l.hashes * l.seq_len);
  const double tables =
      static_cast<double>(ops::lsh_bucket_sum_scratch_bytes(l, s.head_dim, sizeof(float), threads, s.device));
  // On the CPU the runner also runs YOSO-E (forward_own_exact) on the same workspace; a GPU case's
  // own-exact reference runs on the host from a CPU instance, outside the device workspace.
  if (s.device == Device::cuda) return planes + codes + tables;
  return planes + codes + tables +
         static_cast<double>(ops::angular_kernel_scratch_bytes(exact_shape(s, p), sizeof(float), threads));
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "yoso",
    .family = "sampling",
    .summary = "YOSO: LSH Bernoulli sampling of the collision kernel (1 - theta/pi)^tau, L2-normalized rows",
    .paper = "Zeng et al., You Only Sample (Almost) Once: Linear Cost Self-Attention Via Bernoulli Sampling, ICML 2021",
    .params = {{.name = "num_hashes", .type = ParamType::integer, .default_value = int64_t{32}, .min = 1,
                .max = 1 << 16, .doc = "hash functions m (rank)"},
               {.name = "bits", .type = ParamType::integer, .default_value = int64_t{9}, .min = 0, .max = 20,
                .doc = "sign bits per hash tau (kernel exponent)"}},
    .budget_doc = "rank = number of hashes m; tau fixed by `bits`",
    .uses_rank = true,
    .supports_causal = false,
    .randomized = true,
    .subquadratic = true,
    .complexity = "O(N m d) time, O(N m + 2^tau d) memory",
    .reference = ReferenceKind::both,
    .apply_budget = [](const Budget& budget, const CaseShape&, const std::vector<std::string>& explicit_params,
                       ParamSet& p, Realized& r) { r.rank = apply_rank(budget, explicit_params, p, "num_hashes"); },
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
      const double m = static_cast<double>(p.get_int("num_hashes")), t = static_cast<double>(p.get_int("bits"));
      return static_cast<double>(s.heads_total()) * (2 * 2 * n * d * m * t + 2 * n * m * d);
    },
    .workspace_bytes = yoso_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Yoso>(c); },
}};

}  // namespace
}  // namespace attn
