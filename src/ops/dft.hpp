// Reference DFTs by explicit sums (fp64 twiddles from exact integer phases (f t mod n) / n, applied
// as fp64 GEMMs): the "own exact" form that the FFT paths of FEDformer and FNO are checked against.
// Scratch is host memory outside the workspace, because a reference must not count toward the
// method's measured peak. O(n * count * channels) per batch item.
#pragma once

#include <complex>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct DftShape {
  int64_t batch = 1;
  int64_t n = 0;         // sequence length
  int64_t channels = 1;  // columns of x, transformed independently
};

// out[b, m, c] = sum_t x[b, t, c] e^{-2 pi i bins[m] t / n}   (out: [batch, count, channels]).
template <class T>
void dft_bins_reference(const Context& ctx, const DftShape& s, const T* x, const int64_t* bins, int64_t count,
                        std::complex<double>* out);

// The real signal whose one-sided spectrum holds yhat at `bins` (distinct, < n/2 + 1) and zero
// elsewhere, unnormalized like irfft * n: out[b, t, c] = sum_m w_m Re(yhat[b, m, c] e^{2 pi i f_m t / n})
// with w = 1 for the DC and Nyquist bins (whose imaginary parts drop out) and 2 otherwise.
template <class T>
void idft_real_reference(const Context& ctx, const DftShape& s, const int64_t* bins, int64_t count,
                         const std::complex<double>* yhat, T* out);

}  // namespace attn::ops
