// Validated entries of the small dense linear algebra.
#include "ops/svd_pinv.hpp"

#include "ops/cpu/svd_pinv.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
int64_t truncated_pinv(const Context& ctx, const SvdPinvShape& s, const T* a, const T* diag_shift, double shift_scale,
                       T* out) {
  ATTN_CHECK(s.batch > 0 && s.rows > 0 && s.cols > 0, "truncated_pinv: sizes must be positive");
  ATTN_CHECK(s.rcond >= 0, "truncated_pinv: rcond must be >= 0");
  ATTN_CHECK(diag_shift == nullptr || s.rows == s.cols, "truncated_pinv: a diagonal shift needs a square matrix");
  ATTN_CHECK(a != nullptr && out != nullptr, "truncated_pinv: null operand");
  int64_t rank = 0;
  ATTN_DISPATCH_CPU_ONLY(ctx, "truncated_pinv", rank = cpu::truncated_pinv(ctx, s, a, diag_shift, shift_scale, out));
  return rank;
}

template <class T>
void min_sym_eigenvalue(const Context& ctx, int64_t batch, int64_t n, const T* a, double cap, T* out) {
  ATTN_CHECK(batch > 0 && n > 0 && a != nullptr && out != nullptr, "min_sym_eigenvalue: bad operands");
  ATTN_DISPATCH_CPU_ONLY(ctx, "min_sym_eigenvalue", cpu::min_sym_eigenvalue(ctx, batch, n, a, cap, out));
}

template int64_t truncated_pinv<float>(const Context&, const SvdPinvShape&, const float*, const float*, double, float*);
template int64_t truncated_pinv<double>(const Context&, const SvdPinvShape&, const double*, const double*, double,
                                        double*);
template void min_sym_eigenvalue<float>(const Context&, int64_t, int64_t, const float*, double, float*);
template void min_sym_eigenvalue<double>(const Context&, int64_t, int64_t, const double*, double, double*);

}  // namespace attn::ops
