// Complex operations on spectra laid out [batch, bins, channels] (channels fastest), the layout
// ops/fft.hpp produces: per-mode channel mixing (FNO, FEDformer), a per-bin pointwise product
// (S4's FFT convolution), bin gathers, batched complex GEMMs and elementwise activations
// (FEDformer's FEA-f). Weights may differ per "weight set": batch item b uses set b % sets, so
// per-head weights shared across the batch are sets = heads.
#pragma once

#include <complex>
#include <cstdint>

#include "core/context.hpp"
#include "ops/gemm.hpp"

namespace attn::ops {

struct SpectralMixShape {
  int64_t batch = 1;
  int64_t bins_in = 0, bins_out = 0;  // rows of xhat and of yhat per batch item
  int64_t channels_in = 0, channels_out = 0;
  int64_t modes = 0;                  // mixed modes
  int64_t weight_sets = 1;            // batch % weight_sets == 0
};

// yhat[b, dst[m], :] = xhat[b, src[m], :] . w[b % sets][m]  (w: [sets, modes, cin, cout] row-major);
// every other bin of yhat is zero. dst entries must be distinct.
template <class T>
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* xhat,
                  const std::complex<T>* w, const int64_t* src, const int64_t* dst, std::complex<T>* yhat);

// xhat[b, f, c] *= khat[b % sets, f, c]   (khat: [sets, bins, channels]).
template <class T>
void spectral_multiply(const Context& ctx, int64_t batch, int64_t bins, int64_t channels, int64_t sets,
                       const std::complex<T>* khat, std::complex<T>* xhat);

// out[b, m, :] = xhat[b, idx[m], :]   (out: [batch, count, channels]).
template <class T>
void gather_bins(const Context& ctx, int64_t batch, int64_t bins, int64_t channels, const int64_t* idx, int64_t count,
                 const std::complex<T>* xhat, std::complex<T>* out);

// Batched row-major complex GEMM, C[b] = alpha op(A[b]) op(B[b]) + beta C[b]; Trans::yes is a plain
// transpose (no conjugation: FEDformer's bilinear product).
template <class T>
void complex_gemm(const Context& ctx, const GemmShape& s, std::complex<T> alpha, const std::complex<T>* a,
                  const std::complex<T>* b, std::complex<T> beta, std::complex<T>* c);

enum class ComplexActivation {
  tanh,         // complex tanh elementwise (has poles at i pi (k + 1/2))
  softmax_abs,  // row softmax of |z|, imaginary part 0
};

// x[b, r, :] <- act(x[b, r, :]) for `rows` rows of `cols` per batch item.
template <class T>
void complex_activation(const Context& ctx, ComplexActivation act, int64_t batch, int64_t rows, int64_t cols,
                        std::complex<T>* x);

}  // namespace attn::ops
