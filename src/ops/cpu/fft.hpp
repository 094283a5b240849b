// CPU real FFTs (FFTW). Arguments are validated by the entries in ops/fft.cpp.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "ops/fft.hpp"

namespace attn::ops::cpu {

template <class T>
void prepare_fft(const Context& ctx, const FftShape& s);
template <class T>
void rfft_rows(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* xhat);
template <class T>
void irfft_rows(const Context& ctx, const FftShape& s, std::complex<T>* xhat, T* x);
template <class T>
void rfft_bins(const Context& ctx, const FftShape& s, const T* x, const int64_t* bins, int64_t count,
               std::complex<T>* out);
template <class T>
void irfft_bins(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count,
                const std::complex<T>* yhat, T* x, const T* bias);
template <class T>
void fft_convolve_rows(const Context& ctx, const FftShape& s, int64_t sets, const std::complex<T>* khat, const T* x,
                       T* y);

// Real elements of the workspace scratch that rfft_bins and irfft_bins with `bins` bins (-1: the
// per-thread FFT blocks, which fft_convolve_rows takes) take.
std::size_t fft_scratch_elems(const FftShape& s, int threads, int64_t bins);

}  // namespace attn::ops::cpu
