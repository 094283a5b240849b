// Validated entry of the row softmax.
#include "ops/softmax.hpp"

#include "ops/cpu/softmax.hpp"
#include "ops/dispatch.hpp"
#if ATTNBENCH_HAVE_CUDA
#include "ops/cuda/softmax.hpp"
#endif

namespace attn::ops {

namespace {
void check_softmax(const SoftmaxShape& s, const void* x) {
  ATTN_CHECK(s.rows > 0 && s.cols > 0 && s.batch > 0, "softmax_rows: sizes must be positive");
  ATTN_CHECK(s.ld >= s.cols, "softmax_rows: ld < cols");
  ATTN_CHECK(s.batch == 1 || s.stride >= (s.rows - 1) * s.ld + s.cols, "softmax_rows: batches overlap");
  ATTN_CHECK(x != nullptr, "softmax_rows: null input");
}
[[noreturn]] void no_cpu_half() {
  throw UnsupportedError("op 'softmax_rows' runs fp16/bf16 on cuda only (the cpu backend runs fp32/fp64)");
}
}  // namespace

template <class T>
void softmax_rows(const Context& ctx, const SoftmaxShape& s, T scale, T* x) {
  check_softmax(s, x);
  ATTN_DISPATCH(ctx, "softmax_rows", cpu::softmax_rows(ctx, s, scale, x), cuda::softmax_rows(ctx, s, scale, x));
}

void softmax_rows(const Context& ctx, const SoftmaxShape& s, float scale, Half* x) {
  check_softmax(s, x);
  ATTN_DISPATCH(ctx, "softmax_rows", no_cpu_half(), cuda::softmax_rows(ctx, s, scale, x));
}

void softmax_rows(const Context& ctx, const SoftmaxShape& s, float scale, BFloat16* x) {
  check_softmax(s, x);
  ATTN_DISPATCH(ctx, "softmax_rows", no_cpu_half(), cuda::softmax_rows(ctx, s, scale, x));
}

template void softmax_rows<float>(const Context&, const SoftmaxShape&, float, float*);
template void softmax_rows<double>(const Context&, const SoftmaxShape&, double, double*);

}  // namespace attn::ops
