// Validated entry of linear (feature-map) attention.
#include "ops/linear_attention.hpp"

#include "ops/cpu/linear_attention.hpp"
#include "ops/cuda/linear_attention.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

std::size_t linear_attention_scratch_bytes(const LinearAttentionShape& s, std::size_t elem_bytes, int threads,
                                           Device device) {
  if (device == Device::cuda) {  // the keys of ops/cuda/linear_attention.cu
    const auto b = static_cast<std::size_t>(s.batch), n = static_cast<std::size_t>(s.seq_len),
               m = static_cast<std::size_t>(s.features), dv = static_cast<std::size_t>(s.value_dim),
               c = static_cast<std::size_t>(s.chunk);
    return (b * m * dv + b * m + b * n + (s.causal ? b * c * c : 0)) * elem_bytes + sizeof(unsigned long long);
  }
  return cpu::linear_attention_elems_per_worker(s) * elem_bytes *
         static_cast<std::size_t>(cpu::linear_attention_workers(s, threads));
}

template <class T>
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const T* phi_q, const T* phi_k,
                         const T* v, T* out) {
  ATTN_CHECK(s.batch > 0 && s.seq_len > 0 && s.features > 0 && s.value_dim > 0,
             "linear_attention: sizes must be positive");
  ATTN_CHECK(s.chunk > 0, "linear_attention: chunk must be positive");
  ATTN_CHECK(s.guard_eps >= 0, "linear_attention: guard_eps must be >= 0");
  ATTN_CHECK(phi_q != nullptr && phi_k != nullptr && v != nullptr && out != nullptr,
             "linear_attention: null operand");
  ATTN_CHECK(ctx.workspace != nullptr, "linear_attention: the context needs a workspace");
  int64_t bad = 0;
  ATTN_DISPATCH(ctx, "linear_attention", bad = cpu::linear_attention(ctx, s, phi_q, phi_k, v, out),
                bad = cuda::linear_attention(ctx, s, phi_q, phi_k, v, out));
  return bad;
}

template int64_t linear_attention<float>(const Context&, const LinearAttentionShape&, const float*, const float*,
                                         const float*, float*);
template int64_t linear_attention<double>(const Context&, const LinearAttentionShape&, const double*,
                                          const double*, const double*, double*);

}  // namespace attn::ops
