// Complex operations on selected Fourier modes laid out mode-major, [batch, modes, channels]
// (channels fastest; ops/fft.hpp's rfft_bins and irfft_bins produce and consume it): per-mode channel
// mixing (FNO, FEDformer), batched complex GEMMs and elementwise activations (FEDformer's FEA-f).
// Weights may differ per "weight set": batch item b uses set b % sets, so per-head weights shared
// across the batch are sets = heads.
#pragma once

#include <complex>
#include <cstdint>

#include "core/context.hpp"
#include "ops/gemm.hpp"

namespace attn::ops {

struct SpectralMixShape {
  int64_t batch = 1;
  int64_t modes = 0;
  int64_t channels_in = 0, channels_out = 0;
  int64_t weight_sets = 1;  // batch % weight_sets == 0
};

// y[b, m, :] = x[b, m, :] . w[b % sets][m]   (x: [batch, modes, cin]; y: [batch, modes, cout];
// w: [sets, modes, cin, cout] row-major).
template <class T>
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* x, const std::complex<T>* w,
                  std::complex<T>* y);

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
