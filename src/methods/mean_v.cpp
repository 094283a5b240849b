// mean-v: the trivial baseline. Every output row is the mean of V (the prefix mean when causal).
//
// Card: shared/methods/README.md ("The trivial baseline") and kernel.md §0.3: on unstructured random
// inputs many untrained approximations do no better, so every report shows this floor.
// Approximates: softmax with uniform attention weights (exact when all scores in a row are equal).
// Complexity: O(N d) time, no workspace on the CPU (the GPU's chunked scan keeps O(N d / 64)
// partial sums). Parameters: none.
#include "methods/registry.hpp"
#include "ops/reduce.hpp"

namespace attn {
namespace {

class MeanV final : public Method {
 public:
  explicit MeanV(const MethodConfig& c) : shape_(c.shape) {}
  void forward(Context& ctx, const Tensor&, const Tensor&, const Tensor& v, Tensor& out) override {
    ops::mean_rows<float>(ctx, shape_.heads_total(), shape_.seq_len, shape_.head_dim, shape_.causal, v.ptr<float>(),
                          out.ptr<float>());
  }

 private:
  CaseShape shape_;
};

const MethodRegistration kRegistration{MethodInfo{
    .name = "mean-v",
    .family = "baseline",
    .summary = "Trivial baseline: every row is the mean of V (prefix mean when causal)",
    .paper = "-",
    .params = {},
    .budget_doc = "no budget knobs",
    .supports_causal = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N d) time, O(1) memory",
    .apply_budget = [](const Budget&, const CaseShape&, const std::vector<std::string>&, ParamSet&,
                       Realized& r) { r.density = 0.0; },
    .flops = [](const CaseShape& s, const ParamSet&) {
      return static_cast<double>(s.heads_total()) * static_cast<double>(s.seq_len) * s.head_dim * 2.0;
    },
    .workspace_bytes = [](const CaseShape& s, const ParamSet&, int) {  // mean_rows' GPU partial sums; none on the CPU
      return static_cast<double>(ops::mean_rows_scratch_bytes(s.heads_total(), s.seq_len, s.head_dim, s.device));
    },
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<MeanV>(c); },
}};

}  // namespace
}  // namespace attn
