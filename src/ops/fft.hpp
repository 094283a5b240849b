// Real FFTs along the sequence axis of [batch, rows, channels] row-major data (channels fastest):
// every (batch, channel) column is one transform. FFTW on the CPU, cuFFT on the GPU, unnormalized like
// numpy's rfft / irfft(norm="backward") without the 1/n: irfft(rfft(x)) = n x.
//
// Full spectra are stored channel-major, [batch, channels, pitch] complex with bins() valid entries
// per channel, so that each transform is contiguous: FFTs over the strided columns of a long
// [N, d] tensor touch one cache line per element and ran 3-5x slower at N = 64K (measured). The
// mixers that use only a few bins (FNO, FEDformer) take them through rfft_bins / irfft_bins, which
// never materialize the full spectrum; S4's convolution is one fused op (fft_convolve_rows). Both
// keep the memory traffic at one read of the input and one write of the output (on the GPU, the bin
// ops beyond the direct-sum range go through a full spectrum in scratch: cuFFT, then a gather or
// scatter of the bins). Bin lists (`bins`) live on ctx.device like the data; on the GPU only their
// size is checked (ops/fft.cpp).
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct FftShape {
  int64_t batch = 1;
  int64_t n = 0;         // transform length
  int64_t channels = 1;  // independent transforms per batch item: the columns of [rows, channels]
  int64_t rows = -1;     // real rows stored per batch item (-1: n). Forward transforms zero-pad rows < n up
                         // to n; inverse transforms keep only the first `rows` outputs (S4's linear convolution)
  int64_t bins() const { return n / 2 + 1; }
  int64_t real_rows() const { return rows < 0 ? n : rows; }
  // Complex entries from one channel's spectrum to the next in a channel-major spectrum: bins()
  // rounded up to 8, so every channel starts 64-byte aligned (FFTW's SIMD codelets need it).
  int64_t pitch() const { return (bins() + 7) / 8 * 8; }
};

// Makes the FFTW plans the transforms below use for this shape (FFTW_MEASURE: milliseconds for small
// n, seconds at n = 64K, once per process). A method calls it from prepare(), so planning counts as
// set-up, not as the first forward; the transforms plan by themselves when it was not called. With
// `bins` >= 0 it plans only if rfft_bins / irfft_bins with that many bins will run FFTs. On the GPU
// it makes the cuFFT plans (R2C and C2R over all batch x channels columns).
template <class T>
void prepare_fft(const Context& ctx, const FftShape& s, int64_t bins = -1);

// xhat[b, c, f] = sum_t x[b, t, c] e^{-2 pi i f t / n}, f < bins (xhat: [batch, channels, pitch]).
template <class T>
void rfft_rows(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* xhat);

// x[b, t, c] = sum_f (Hermitian extension of xhat[b, c, :])[f] e^{+2 pi i f t / n} for t < rows. The
// imaginary parts of bin 0 and (n even) bin n/2 are ignored, as numpy's irfft does. `xhat` is
// transformed in place and overwritten.
template <class T>
void irfft_rows(const Context& ctx, const FftShape& s, std::complex<T>* xhat, T* x);

// The selected bins of rfft_rows, mode-major: out[b, m, c] = xhat[b, c, bins[m]], m < count
// (out: [batch, count, channels]; bins < bins(), any order). Equals ops/dft.hpp's reference. For a
// few bins (up to ~2 log2 n) both devices sum them directly through GEMMs instead of running the FFT.
template <class T>
void rfft_bins(const Context& ctx, const FftShape& s, const T* x, const int64_t* bins, int64_t count,
               std::complex<T>* out);

// irfft_rows of the spectrum that holds yhat[b, m, :] at bin bins[m] (distinct) and zero elsewhere
// (yhat: [batch, count, channels], left intact), plus bias[b, :] on every row when bias is given
// (fused, so a long output is written once). Equals ops/dft.hpp's idft_real_reference.
template <class T>
void irfft_bins(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count,
                const std::complex<T>* yhat, T* x, const T* bias = nullptr);

// y[b, t, c] = irfft(rfft(x)[b, c, :] * khat[b % sets, c, :])[t] for t < rows: a circular convolution
// of length n, linear (causal) when n >= 2 rows - 1. x, y: [batch, rows, channels]; khat is a
// channel-major spectrum [sets, channels, pitch] (rfft_rows of the kernel); batch % sets == 0.
template <class T>
void fft_convolve_rows(const Context& ctx, const FftShape& s, int64_t sets, const std::complex<T>* khat, const T* x,
                       T* y);

// Workspace rfft_bins / irfft_bins with `bins` selected bins, or fft_convolve_rows (bins = -1), take
// from ctx.ws() with `threads` threads (rfft_rows and irfft_rows work in the spectrum itself).
std::size_t fft_scratch_bytes(const FftShape& s, std::size_t real_elem_bytes, int threads, int64_t bins = -1);

// The same on the GPU (its workspace is device memory), `bins` as above: for the direct sums the
// twiddle table and GEMM operand ("fft.direct_table", "fft.direct_sums"), otherwise the full
// spectrum "fft.spectrum" ([batch, channels, pitch] complex) plus cuFFT's work area. rfft_rows and
// irfft_rows work in the caller's spectrum and take the work area alone (fft_work_area_bytes_cuda).
// The work area "fft.cufft_work" is one buffer for every shape (a method with several shapes holds
// the largest); its size is asked of cuFFT, which plans the shape once; 0 without a device or a
// CUDA backend.
std::size_t fft_scratch_bytes_cuda(const FftShape& s, std::size_t real_elem_bytes, int64_t bins = -1);
std::size_t fft_work_area_bytes_cuda(const FftShape& s, std::size_t real_elem_bytes);

// Floating-point operations of one rfft_bins or irfft_bins call with `count` bins, as the CPU runs
// it (direct sums: 4 count n per column; FFT: 2.5 n log2 n per column).
double fft_bins_flops(const FftShape& s, int64_t count);

// The smallest length >= n of the form 2^a 3^b 5^c 7^d (FFTW's fast sizes).
int64_t fft_fast_length(int64_t n);

}  // namespace attn::ops
