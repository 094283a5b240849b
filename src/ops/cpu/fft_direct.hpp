// Selected bins of a real DFT by direct sums through BLAS, the fast path of rfft_bins / irfft_bins
// when only a few bins are wanted (FNO keeps 16): O(n * count * channels) multiply-adds as GEMMs on
// the time-major data itself, no transposes and no full spectrum. Validated by ops/fft.cpp; chosen
// by cpu/fft.cpp (prefer_direct_bins).
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "ops/fft.hpp"

namespace attn::ops::cpu {

// True when the direct sums cost less than the FFT path for `count` bins of this shape.
bool prefer_direct_bins(const FftShape& s, int64_t count);

template <class T>
void rfft_bins_direct(const Context& ctx, const FftShape& s, const T* x, const int64_t* bins, int64_t count,
                      std::complex<T>* out);
template <class T>
void irfft_bins_direct(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count,
                       const std::complex<T>* yhat, T* x, const T* bias);

// Real elements of workspace scratch the direct forward / inverse take with `threads` threads.
std::size_t direct_bins_scratch_elems(const FftShape& s, int64_t count, int threads, bool inverse);

}  // namespace attn::ops::cpu
