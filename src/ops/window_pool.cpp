// Validated entry of windowed pooling.
#include "ops/window_pool.hpp"

#include "ops/cpu/window_pool.hpp"
#include "ops/cuda/window_pool.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

int64_t pooled_rows(const WindowPoolShape& s) { return (s.seq_len + s.stride - 1) / s.stride; }

template <class T>
void window_pool(const Context& ctx, const WindowPoolShape& s, const T* x, T* out) {
  ATTN_CHECK(s.batch > 0 && s.seq_len > 0 && s.dim > 0 && s.stride > 0, "window_pool: sizes must be positive");
  ATTN_CHECK(s.sigma >= 0, "window_pool: sigma must be >= 0");
  ATTN_CHECK(x != nullptr && out != nullptr, "window_pool: null operand");
  ATTN_DISPATCH(ctx, "window_pool", cpu::window_pool(ctx, s, x, out),
                cuda::window_pool(ctx, s, x, out));
}

template void window_pool<float>(const Context&, const WindowPoolShape&, const float*, float*);
template void window_pool<double>(const Context&, const WindowPoolShape&, const double*, double*);

}  // namespace attn::ops
