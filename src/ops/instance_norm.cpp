// Validated entry of the instance normalization.
#include "ops/instance_norm.hpp"

#include "ops/cpu/instance_norm.hpp"
#include "ops/cuda/instance_norm.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void instance_norm(const Context& ctx, int64_t batch, int64_t rows, int64_t cols, double eps, const T* x, T* out) {
  ATTN_CHECK(batch > 0 && rows > 0 && cols > 0 && eps >= 0 && x && out, "instance_norm: bad operands");
  ATTN_DISPATCH(ctx, "instance_norm", cpu::instance_norm(ctx, batch, rows, cols, eps, x, out),
                cuda::instance_norm(ctx, batch, rows, cols, eps, x, out));
}

template void instance_norm<float>(const Context&, int64_t, int64_t, int64_t, double, const float*, float*);
template void instance_norm<double>(const Context&, int64_t, int64_t, int64_t, double, const double*, double*);

}  // namespace attn::ops
