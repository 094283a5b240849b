// yoso-e: YOSO's expectation, the exact collision-kernel attention (YOSO-E).
//
// Paper: Zeng et al., ICML 2021 (official code: mlpen/YOSO yoso_v2/kernel.py `yoso_e`; Hugging Face
// YosoConfig use_expectation=True). Card: sparse.md card 6.
// Approximates: NOT softmax: O_i = normalize(sum_j (1 - theta(q_i, k_j)/pi)^tau v_j). It is yoso's
// own exact reference, registered on its own so its error against softmax (mean_cos: directions)
// can be compared with the sampled estimate's.
// Complexity: O(N^2 d) time (two GEMMs per tile plus acos/pow per entry), O(1) extra memory per
// worker (streamed tiles, no N x N buffer).
// Exactness: is its own kernel (tested against a direct O(N^2) fp64 evaluation to 1e-6).
// Parameters: bits (tau; 9).
// Deviations: the exact kernel with the cosine clamped to [-1, 1]; the official v2 multiplies the
// dot product by 0.98 (for a finite backward), which changes the kernel. Not causal.
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/angular_kernel.hpp"
#include "ops/rowwise.hpp"

namespace attn {
namespace {

ops::AngularKernelShape shape_of(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim, .value_dim = s.head_dim,
          .bits = p.get_int("bits")};
}

class YosoE final : public Method {
 public:
  explicit YosoE(const MethodConfig& c) : shape_(shape_of(c.shape, c.params)) {}

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    ops::angular_kernel_attention<float>(ctx, shape_, q.ptr<float>(), k.ptr<float>(), v.ptr<float>(), out.ptr<float>());
    ops::normalize_rows<float>(ctx, ops::row_shape(shape_.seq_len, shape_.value_dim, shape_.batch), 1.0f,
                               out.ptr<float>(), out.ptr<float>());
  }

  nlohmann::json diagnostics() const override {
    return {{"bits", shape_.bits}, {"kernel_mismatch", true},
            {"output", "L2-normalized rows: compare with softmax by mean_cos"}};
  }

 private:
  ops::AngularKernelShape shape_;
};

const MethodRegistration kRegistration{MethodInfo{
    .name = "yoso-e",
    .family = "kernel",
    .summary = "YOSO-E: exact LSH collision-kernel attention (1 - theta/pi)^tau, L2-normalized rows (O(N^2))",
    .paper = "Zeng et al., You Only Sample (Almost) Once: Linear Cost Self-Attention Via Bernoulli Sampling, ICML 2021",
    .params = {{.name = "bits", .type = ParamType::integer, .default_value = int64_t{9}, .min = 0, .max = 30,
                .doc = "kernel exponent tau"}},
    .budget_doc = "no budget knobs (the expectation of yoso)",
    .supports_causal = false,
    .subquadratic = true,
    .complexity = "O(N^2 d) time, O(N d) memory",
    .apply_budget = [](const Budget&, const CaseShape&, const std::vector<std::string>&, ParamSet&, Realized&) {},
    .flops = [](const CaseShape& s, const ParamSet&) {
      const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim);
      return static_cast<double>(s.heads_total()) * 4 * n * n * d;
    },
    .workspace_bytes = [](const CaseShape& s, const ParamSet& p, int threads) {
      return static_cast<double>(ops::angular_kernel_scratch_bytes(shape_of(s, p), sizeof(float), threads, s.device));
    },
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<YosoE>(c); },
}};

}  // namespace
}  // namespace attn
