// Diagonal state-space (S4D) building blocks. A channel's discretized system has `modes` complex
// diagonal states; with log_z = dt A (ZOH: Abar = e^{dt A}) and ct = C * Bbar folded together, its
// convolution kernel is K[l] = 2 Re sum_m ct_m e^{l log_z_m} (the factor 2 and Re: conjugate pairs).
// Parameters are fp64 [sets, channels, modes]; batch item b uses set b % sets.
#pragma once

#include <complex>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct SsmShape {
  int64_t batch = 1;     // batch items of u / y (kernel: unused)
  int64_t sets = 1;      // parameter sets (heads)
  int64_t n = 0;         // sequence length
  int64_t channels = 0;  // independent SISO channels (the head dimension)
  int64_t modes = 0;     // complex states per channel (= state size / 2)
};

// kernel[g, l, c] = 2 Re sum_m ct[g, c, m] exp(l log_z[g, c, m]), l < n: a Vandermonde product in
// fp64, evaluated by repeated multiplication with an exact exp restart every 1024 positions. With
// `lag0` ([sets, channels]) kernel[g, 0, c] += lag0[g, c]: the skip term D u is the kernel's tap at
// lag 0, so the convolution applies it and the output is written once.
template <class T>
void ssm_kernel(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                const std::complex<double>* ct, T* kernel, const T* lag0 = nullptr);

// The recurrence (own-exact reference): x_l = e^{log_z} x_{l-1} + u_l, y_l = 2 Re(ct . x_l) + d u_l,
// in fp64, for u, y: [batch, n, channels]; d: [sets, channels] (null: no skip).
template <class T>
void ssm_recurrence(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                    const std::complex<double>* ct, const T* d, const T* u, T* y);

}  // namespace attn::ops
