// CPU spectral operations (CBLAS complex GEMMs and plain loops). Validated by ops/spectral.cpp.
#pragma once

#include "ops/spectral.hpp"

namespace attn::ops::cpu {

template <class T>
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* xhat,
                  const std::complex<T>* w, const int64_t* src, const int64_t* dst, std::complex<T>* yhat);
template <class T>
void spectral_multiply(const Context& ctx, int64_t batch, int64_t bins, int64_t channels, int64_t sets,
                       const std::complex<T>* khat, std::complex<T>* xhat);
template <class T>
void gather_bins(const Context& ctx, int64_t batch, int64_t bins, int64_t channels, const int64_t* idx, int64_t count,
                 const std::complex<T>* xhat, std::complex<T>* out);
template <class T>
void complex_gemm(const Context& ctx, const GemmShape& s, std::complex<T> alpha, const std::complex<T>* a,
                  const std::complex<T>* b, std::complex<T> beta, std::complex<T>* c);
template <class T>
void complex_activation(const Context& ctx, ComplexActivation act, int64_t batch, int64_t rows, int64_t cols,
                        std::complex<T>* x);

}  // namespace attn::ops::cpu
