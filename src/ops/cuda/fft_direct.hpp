// Selected bins of a real DFT by direct sums through cuBLAS, the GPU's path of rfft_bins / irfft_bins
// for a few bins (the CPU's rule, cpu::prefer_direct_bins). No CUDA types here; pointers (the bin
// list too) are device pointers, arguments validated by the entries in ops/fft.cpp.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "ops/fft.hpp"

namespace attn::ops::cuda {

template <class T>
void rfft_bins_direct(const Context& ctx, const FftShape& s, const T* x, const int64_t* bins, int64_t count,
                      std::complex<T>* out);
template <class T>
void irfft_bins_direct(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count,
                       const std::complex<T>* yhat, T* x, const T* bias);

}  // namespace attn::ops::cuda
