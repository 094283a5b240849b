// Real FFTs along the sequence axis of [batch, rows, channels] row-major data (channels fastest):
// every (batch, channel) column is one transform. FFTW on the CPU (cuFFT later), unnormalized like
// numpy's rfft / irfft(norm="backward") without the 1/n: irfft(rfft(x)) = n x.
// Plans are made once per (length, channel count, alignment) and cached by the CPU backend
// (planning is serialized; executing a cached plan is thread-safe).
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct FftShape {
  int64_t batch = 1;
  int64_t n = 0;         // transform length
  int64_t channels = 1;  // independent transforms per batch item, interleaved (stride = channels)
  int64_t rows = -1;     // real rows stored per batch item (-1: n). rfft zero-pads rows < n up to n;
                         // irfft keeps only the first `rows` outputs (S4's linear convolution)
  int64_t bins() const { return n / 2 + 1; }
  int64_t real_rows() const { return rows < 0 ? n : rows; }
};

// xhat[b, f, c] = sum_t x[b, t, c] e^{-2 pi i f t / n}, f < n/2 + 1.
template <class T>
void rfft_rows(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* xhat);

// x[b, t, c] = sum_f (Hermitian extension of xhat)[f] e^{+2 pi i f t / n} for t < rows. The
// imaginary parts of bin 0 and (n even) bin n/2 are ignored, as numpy's irfft does. `xhat` is used
// as scratch and overwritten (FFTW's complex-to-real transforms destroy their input).
template <class T>
void irfft_rows(const Context& ctx, const FftShape& s, std::complex<T>* xhat, T* x);

// Workspace the two transforms take from ctx.ws() (the zero-padding buffer when rows < n).
std::size_t fft_scratch_bytes(const FftShape& s, std::size_t real_elem_bytes);

// The smallest length >= n of the form 2^a 3^b 5^c 7^d (FFTW's fast sizes).
int64_t fft_fast_length(int64_t n);

}  // namespace attn::ops
