// Validated entry of Luna's causal nested attention.
#include "ops/nested_causal_attention.hpp"

#include <algorithm>

#include "ops/cpu/nested_causal_attention.hpp"
#include "ops/cuda/nested_causal_attention.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

std::size_t nested_causal_attention_scratch_bytes(const NestedCausalShape& s, std::size_t elem_bytes, int threads,
                                                  Device device) {
  if (device == Device::cuda) {  // the five keys of ops/cuda/nested_causal_attention.cu, batch x count each
    const int64_t ch = std::min(s.chunk, s.seq_len), l = s.pack_len;
    return static_cast<std::size_t>(s.batch * (l * s.head_dim + l * s.value_dim + 2 * ch * l + ch * ch)) * elem_bytes;
  }
  return cpu::nested_causal_elems_per_worker(s) * elem_bytes *
         static_cast<std::size_t>(cpu::nested_causal_workers(s, threads));
}

template <class T>
void nested_causal_attention(const Context& ctx, const NestedCausalShape& s, T scale, const T* p, const T* q,
                             const T* k, const T* v, T* out) {
  ATTN_CHECK(s.batch > 0 && s.seq_len > 0 && s.head_dim > 0 && s.value_dim > 0 && s.pack_len > 0,
             "nested_causal_attention: sizes must be positive");
  ATTN_CHECK(s.chunk > 0, "nested_causal_attention: chunk must be positive");
  ATTN_CHECK(s.pack_stride == 0 || s.pack_stride >= s.pack_len * s.head_dim,
             "nested_causal_attention: heads' pack sequences overlap");
  ATTN_CHECK(p != nullptr && q != nullptr && k != nullptr && v != nullptr && out != nullptr,
             "nested_causal_attention: null operand");
  ATTN_CHECK(ctx.workspace != nullptr, "nested_causal_attention: the context needs a workspace");
  ATTN_DISPATCH(ctx, "nested_causal_attention", cpu::nested_causal_attention(ctx, s, scale, p, q, k, v, out),
                cuda::nested_causal_attention(ctx, s, scale, p, q, k, v, out));
}

template void nested_causal_attention<float>(const Context&, const NestedCausalShape&, float, const float*,
                                             const float*, const float*, const float*, float*);
template void nested_causal_attention<double>(const Context&, const NestedCausalShape&, double, const double*,
                                              const double*, const double*, const double*, double*);

}  // namespace attn::ops
