// CPU spectral operations (CBLAS complex GEMMs and plain loops). Validated by ops/spectral.cpp.
#pragma once

#include "ops/spectral.hpp"

namespace attn::ops::cpu {

template <class T>
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* x, const std::complex<T>* w,
                  std::complex<T>* y);
template <class T>
void complex_gemm(const Context& ctx, const GemmShape& s, std::complex<T> alpha, const std::complex<T>* a,
                  const std::complex<T>* b, std::complex<T> beta, std::complex<T>* c);
template <class T>
void complex_activation(const Context& ctx, ComplexActivation act, int64_t batch, int64_t rows, int64_t cols,
                        std::complex<T>* x);

}  // namespace attn::ops::cpu
