// CPU real FFTs (FFTW). Arguments are validated by the entry in ops/fft.cpp.
#pragma once

#include <complex>

#include "core/context.hpp"
#include "ops/fft.hpp"

namespace attn::ops::cpu {

template <class T>
void rfft_rows(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* xhat);
template <class T>
void irfft_rows(const Context& ctx, const FftShape& s, std::complex<T>* xhat, T* x);

}  // namespace attn::ops::cpu
