// CUDA spectral operations (cuBLAS complex GEMMs, elementwise / warp-per-row activations). No CUDA
// types here; pointers are device pointers, arguments validated by the entries in ops/spectral.cpp.
#pragma once

#include "ops/spectral.hpp"

namespace attn::ops::cuda {

template <class T>
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* x, const std::complex<T>* w,
                  std::complex<T>* y);
template <class T>
void complex_gemm(const Context& ctx, const GemmShape& s, std::complex<T> alpha, const std::complex<T>* a,
                  const std::complex<T>* b, std::complex<T> beta, std::complex<T>* c);
template <class T>
void complex_activation(const Context& ctx, ComplexActivation act, int64_t batch, int64_t rows, int64_t cols,
                        std::complex<T>* x);

}  // namespace attn::ops::cuda
