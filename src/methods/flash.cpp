// flash: tiled exact softmax attention with online softmax (FlashAttention-2 loop order).
//
// Paper: Dao et al., "FlashAttention" (NeurIPS 2022); Dao, "FlashAttention-2" (2023).
// Card: shared/methods/sparse.md card 1b.
// Approximates: nothing (exact; differs from `exact` only in summation order).
// Complexity: 4 N^2 d FLOPs per head (half when causal: tiles above the diagonal are skipped);
// extra memory one tile set per thread, O((Br + 2 Bc) d + Br Bc), independent of N.
// Exactness: error vs fp64 at most 2x the plain fp32 implementation's.
// Parameters: block_q (Br), block_k (Bc); 0 = the card's defaults for the head size.
// Deviations: none; the CPU kernel is ops/cpu/flash_attention.cpp.
#include <cmath>

#include "core/half.hpp"
#include "methods/registry.hpp"
#include "metrics/flops.hpp"
#include "ops/flash_attention.hpp"

namespace attn {
namespace {

ops::FlashShape flash_shape(const CaseShape& s, const ParamSet& p) {
  ops::FlashShape f{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim};
  f.mask.causal = s.causal;
  f.tiles = ops::default_flash_tiles(s.head_dim);
  if (p.get_int("block_q") > 0) f.tiles.block_q = p.get_int("block_q");
  if (p.get_int("block_k") > 0) f.tiles.block_k = p.get_int("block_k");
  return f;
}

class FlashAttention final : public Method {
 public:
  explicit FlashAttention(const MethodConfig& c) : shape_(flash_shape(c.shape, c.params)) {}

  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const float scale = 1.0f / std::sqrt(static_cast<float>(shape_.head_dim));
    // fp16 / bf16: the tensor-core kernel with fp32 accumulation (GPU only).
    with_storage_type(q.dtype, [&](auto tag) {
      using S = decltype(tag);
      ops::flash_attention(ctx, shape_, scale, q.ptr<S>(), k.ptr<S>(), v.ptr<S>(), out.ptr<S>());
    });
  }

  nlohmann::json diagnostics() const override {
    return {{"block_q", shape_.tiles.block_q}, {"block_k", shape_.tiles.block_k}};
  }

 private:
  ops::FlashShape shape_;
};

const MethodRegistration kRegistration{MethodInfo{
    .name = "flash",
    .family = "exact",
    .summary = "Tiled exact attention with online softmax (FlashAttention-2 loop order), no N x N buffer",
    .paper = "Dao et al., FlashAttention, NeurIPS 2022; Dao, FlashAttention-2, 2023",
    .params = {{.name = "block_q", .type = ParamType::integer, .default_value = int64_t{0}, .min = 0, .max = 4096,
                .doc = "query rows per tile (0: 64)"},
               {.name = "block_k", .type = ParamType::integer, .default_value = int64_t{0}, .min = 0, .max = 4096,
                .doc = "keys per tile (0: 256 for d <= 64, else 128)"}},
    .budget_doc = "no budget knobs (exact)",
    .supports_causal = true,
    .subquadratic = true,
    .linear_in_v = true,
    .complexity = "O(N^2 d) time, O(N d) memory",
    .dtypes = {DType::f32, DType::f16, DType::bf16},
    .apply_budget = [](const Budget&, const CaseShape&, const std::vector<std::string>&, ParamSet&,
                       Realized& r) { r.density = 1.0; },
    .flops = [](const CaseShape& s, const ParamSet&) {
      return dense_attention_flops(s.heads_total(), s.seq_len, s.head_dim, s.causal);
    },
    .workspace_bytes = [](const CaseShape& s, const ParamSet& p, int threads) {
      // fp32 tiles on the CPU; on the GPU (the only device with fp16/bf16) the fused kernels keep their
      // tiles on chip and take no workspace in any dtype.
      return static_cast<double>(
          ops::flash_attention_scratch_bytes(flash_shape(s, p), sizeof(float), threads, s.device));
    },
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<FlashAttention>(c); },
}};

}  // namespace
}  // namespace attn
