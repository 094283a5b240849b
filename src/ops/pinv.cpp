// Validated entry of the Newton-Schulz pseudo-inverse.
#include "ops/pinv.hpp"

#include "ops/cpu/pinv.hpp"
#include "ops/cuda/pinv.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

std::size_t newton_schulz_pinv_scratch_bytes(const PinvShape& s, std::size_t elem_bytes, Device device) {
  const std::size_t matrices = 3 * static_cast<std::size_t>(s.batch * s.size * s.size) * elem_bytes;  // P, A, T
  if (device != Device::cuda) return matrices;
  return (s.iterations > 0 ? matrices : 0) + 3 * static_cast<std::size_t>(s.batch) * sizeof(double);
}

template <class T>
void newton_schulz_pinv(const Context& ctx, const PinvShape& s, const T* w, T* z) {
  ATTN_CHECK(s.batch > 0 && s.size > 0, "newton_schulz_pinv: sizes must be positive");
  ATTN_CHECK(s.iterations >= 0, "newton_schulz_pinv: iterations must be >= 0");
  ATTN_CHECK(w != nullptr && z != nullptr && w != z, "newton_schulz_pinv: null or aliased operands");
  ATTN_CHECK(ctx.workspace != nullptr, "newton_schulz_pinv: the context needs a workspace");
  ATTN_DISPATCH(ctx, "newton_schulz_pinv", cpu::newton_schulz_pinv(ctx, s, w, z),
                cuda::newton_schulz_pinv(ctx, s, w, z));
}

template void newton_schulz_pinv<float>(const Context&, const PinvShape&, const float*, float*);
template void newton_schulz_pinv<double>(const Context&, const PinvShape&, const double*, double*);

}  // namespace attn::ops
