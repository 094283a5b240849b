// Validated entries of the spectral operations.
#include "ops/spectral.hpp"

#include "ops/cpu/spectral.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* xhat,
                  const std::complex<T>* w, const int64_t* src, const int64_t* dst, std::complex<T>* yhat) {
  ATTN_CHECK(s.batch > 0 && s.channels_in > 0 && s.channels_out > 0 && s.modes >= 0, "spectral_mix: bad sizes");
  ATTN_CHECK(s.weight_sets > 0 && s.batch % s.weight_sets == 0, "spectral_mix: batch must be a multiple of sets");
  ATTN_CHECK(s.modes <= s.bins_out && xhat && w && yhat && (s.modes == 0 || (src && dst)),
             "spectral_mix: null operand or too many modes");
  for (int64_t m = 0; m < s.modes; ++m)
    ATTN_CHECK(src[m] >= 0 && src[m] < s.bins_in && dst[m] >= 0 && dst[m] < s.bins_out,
               "spectral_mix: bin index out of range");
  ATTN_DISPATCH_CPU_ONLY(ctx, "spectral_mix", cpu::spectral_mix(ctx, s, xhat, w, src, dst, yhat));
}

template <class T>
void spectral_multiply(const Context& ctx, int64_t batch, int64_t bins, int64_t channels, int64_t sets,
                       const std::complex<T>* khat, std::complex<T>* xhat) {
  ATTN_CHECK(batch > 0 && bins > 0 && channels > 0 && sets > 0 && batch % sets == 0 && khat && xhat,
             "spectral_multiply: bad operands");
  ATTN_DISPATCH_CPU_ONLY(ctx, "spectral_multiply", cpu::spectral_multiply(ctx, batch, bins, channels, sets, khat, xhat));
}

template <class T>
void gather_bins(const Context& ctx, int64_t batch, int64_t bins, int64_t channels, const int64_t* idx, int64_t count,
                 const std::complex<T>* xhat, std::complex<T>* out) {
  ATTN_CHECK(batch > 0 && channels > 0 && count >= 0 && xhat && out && (count == 0 || idx), "gather_bins: bad operands");
  for (int64_t m = 0; m < count; ++m) ATTN_CHECK(idx[m] >= 0 && idx[m] < bins, "gather_bins: index out of range");
  ATTN_DISPATCH_CPU_ONLY(ctx, "gather_bins", cpu::gather_bins(ctx, batch, bins, channels, idx, count, xhat, out));
}

template <class T>
void complex_gemm(const Context& ctx, const GemmShape& s, std::complex<T> alpha, const std::complex<T>* a,
                  const std::complex<T>* b, std::complex<T> beta, std::complex<T>* c) {
  ATTN_CHECK(s.m > 0 && s.n > 0 && s.k > 0 && s.batch > 0 && a && b && c, "complex_gemm: bad operands");
  ATTN_DISPATCH_CPU_ONLY(ctx, "complex_gemm", cpu::complex_gemm(ctx, s, alpha, a, b, beta, c));
}

template <class T>
void complex_activation(const Context& ctx, ComplexActivation act, int64_t batch, int64_t rows, int64_t cols,
                        std::complex<T>* x) {
  ATTN_CHECK(batch > 0 && rows >= 0 && cols > 0 && x, "complex_activation: bad operands");
  ATTN_DISPATCH_CPU_ONLY(ctx, "complex_activation", cpu::complex_activation(ctx, act, batch, rows, cols, x));
}

#define ATTN_SPECTRAL_INSTANTIATE(T)                                                                              \
  template void spectral_mix<T>(const Context&, const SpectralMixShape&, const std::complex<T>*,                  \
                                const std::complex<T>*, const int64_t*, const int64_t*, std::complex<T>*);        \
  template void spectral_multiply<T>(const Context&, int64_t, int64_t, int64_t, int64_t, const std::complex<T>*,  \
                                     std::complex<T>*);                                                           \
  template void gather_bins<T>(const Context&, int64_t, int64_t, int64_t, const int64_t*, int64_t,                \
                               const std::complex<T>*, std::complex<T>*);                                         \
  template void complex_gemm<T>(const Context&, const GemmShape&, std::complex<T>, const std::complex<T>*,        \
                                const std::complex<T>*, std::complex<T>, std::complex<T>*);                       \
  template void complex_activation<T>(const Context&, ComplexActivation, int64_t, int64_t, int64_t, std::complex<T>*);
ATTN_SPECTRAL_INSTANTIATE(float)
ATTN_SPECTRAL_INSTANTIATE(double)
#undef ATTN_SPECTRAL_INSTANTIATE

}  // namespace attn::ops
