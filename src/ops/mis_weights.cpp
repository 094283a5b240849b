// Validated entry of LARA's MIS weights.
#include "ops/mis_weights.hpp"

#include "ops/cpu/mis_weights.hpp"
#include "ops/cuda/mis_weights.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void mis_weights(const Context& ctx, const MisShape& s, const T* lq, const T* lse_k, const T* lmu, const T* aux, T* out) {
  ATTN_CHECK(s.batch > 0 && s.proposals > 0 && s.queries > 0 && s.samples > 0, "mis_weights: sizes must be positive");
  ATTN_CHECK(lq && lse_k && lmu && out, "mis_weights: null operand");
  ATTN_CHECK(aux != nullptr || s.kind == MisKind::bh, "mis_weights: opt and biased need the aux matrix");
  ATTN_DISPATCH(ctx, "mis_weights", cpu::mis_weights(ctx, s, lq, lse_k, lmu, aux, out),
                cuda::mis_weights(ctx, s, lq, lse_k, lmu, aux, out));
}

std::size_t mis_weights_scratch_bytes(const MisShape& s, Device device) {
  return device == Device::cuda ? static_cast<std::size_t>(2 * s.batch * s.samples * s.proposals) * sizeof(double) : 0;
}

template void mis_weights<float>(const Context&, const MisShape&, const float*, const float*, const float*,
                                 const float*, float*);
template void mis_weights<double>(const Context&, const MisShape&, const double*, const double*, const double*,
                                  const double*, double*);

}  // namespace attn::ops
