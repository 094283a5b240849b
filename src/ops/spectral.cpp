// Validated entries of the spectral operations.
#include "ops/spectral.hpp"

#include "ops/cpu/spectral.hpp"
#include "ops/cuda/spectral.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* x, const std::complex<T>* w,
                  std::complex<T>* y) {
  ATTN_CHECK(s.batch > 0 && s.channels_in > 0 && s.channels_out > 0 && s.modes >= 0, "spectral_mix: bad sizes");
  ATTN_CHECK(s.weight_sets > 0 && s.batch % s.weight_sets == 0, "spectral_mix: batch must be a multiple of sets");
  ATTN_CHECK(x && w && y && static_cast<const void*>(x) != y, "spectral_mix: null or aliased operand");
  ATTN_DISPATCH(ctx, "spectral_mix", cpu::spectral_mix(ctx, s, x, w, y), cuda::spectral_mix(ctx, s, x, w, y));
}

template <class T>
void complex_gemm(const Context& ctx, const GemmShape& s, std::complex<T> alpha, const std::complex<T>* a,
                  const std::complex<T>* b, std::complex<T> beta, std::complex<T>* c) {
  ATTN_CHECK(s.m > 0 && s.n > 0 && s.k > 0 && s.batch > 0 && a && b && c, "complex_gemm: bad operands");
  ATTN_DISPATCH(ctx, "complex_gemm", cpu::complex_gemm(ctx, s, alpha, a, b, beta, c),
                cuda::complex_gemm(ctx, s, alpha, a, b, beta, c));
}

template <class T>
void complex_activation(const Context& ctx, ComplexActivation act, int64_t batch, int64_t rows, int64_t cols,
                        std::complex<T>* x) {
  ATTN_CHECK(batch > 0 && rows >= 0 && cols > 0 && x, "complex_activation: bad operands");
  ATTN_DISPATCH(ctx, "complex_activation", cpu::complex_activation(ctx, act, batch, rows, cols, x),
                cuda::complex_activation(ctx, act, batch, rows, cols, x));
}

#define ATTN_SPECTRAL_INSTANTIATE(T)                                                                              \
  template void spectral_mix<T>(const Context&, const SpectralMixShape&, const std::complex<T>*,                  \
                                const std::complex<T>*, std::complex<T>*);                                        \
  template void complex_gemm<T>(const Context&, const GemmShape&, std::complex<T>, const std::complex<T>*,        \
                                const std::complex<T>*, std::complex<T>, std::complex<T>*);                       \
  template void complex_activation<T>(const Context&, ComplexActivation, int64_t, int64_t, int64_t, std::complex<T>*);
ATTN_SPECTRAL_INSTANTIATE(float)
ATTN_SPECTRAL_INSTANTIATE(double)
#undef ATTN_SPECTRAL_INSTANTIATE

}  // namespace attn::ops
