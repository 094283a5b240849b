// CUDA real FFTs (cuFFT; a few bins by direct sums, ops/cuda/fft_direct.hpp). No CUDA types here; pointers are device pointers (the bin lists too),
// arguments validated by the entries in ops/fft.cpp.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "ops/fft.hpp"

namespace attn::ops::cuda {

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

// Bytes of cuFFT work area this shape's forward and inverse plans take (the larger of the two),
// planning the shape if needed; 0 on a machine without a device.
std::size_t fft_work_area_bytes(const FftShape& s, bool is_double);

}  // namespace attn::ops::cuda
