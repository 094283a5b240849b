// Validated entry of SOFT's Newton-Schulz inverse.
#include "ops/newton_inverse.hpp"

#include "ops/cpu/newton_inverse.hpp"
#include "ops/cuda/newton_inverse.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

std::size_t newton_inverse_scratch_bytes(const NewtonInverseShape& s, std::size_t elem_bytes, Device device) {
  const std::size_t matrices = static_cast<std::size_t>(3 * s.batch * s.size * s.size) * elem_bytes;
  if (device != Device::cuda) return matrices;
  // "newton_inverse.alpha": step sizes and row maxima per matrix, then the halving counters.
  return matrices + static_cast<std::size_t>(2 * s.batch + cuda::kNewtonHalvings) * sizeof(double);
}

template <class T>
void newton_inverse(const Context& ctx, const NewtonInverseShape& s, const T* a, T* v) {
  ATTN_CHECK(s.batch > 0 && s.size > 0 && s.iterations >= 0, "newton_inverse: bad sizes");
  ATTN_CHECK(s.ridge >= 0, "newton_inverse: ridge must be >= 0");
  ATTN_CHECK(a != nullptr && v != nullptr && a != v, "newton_inverse: bad operands");
  ATTN_CHECK(ctx.workspace != nullptr, "newton_inverse: the context needs a workspace");
  ATTN_DISPATCH(ctx, "newton_inverse", cpu::newton_inverse(ctx, s, a, v),
                cuda::newton_inverse(ctx, s, a, v));
}

template void newton_inverse<float>(const Context&, const NewtonInverseShape&, const float*, float*);
template void newton_inverse<double>(const Context&, const NewtonInverseShape&, const double*, double*);

}  // namespace attn::ops
