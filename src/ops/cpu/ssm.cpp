// The kernel restarts each chunk of kChunk positions from an exact exp(l0 log_z) so the repeated
// multiplication never accumulates more than kChunk rounding steps; (set, channel) pairs run in
// parallel. The recurrence is the plain scan, parallel over (batch item, channel).
#include "ops/cpu/ssm.hpp"

#include <algorithm>
#include <vector>

namespace attn::ops::cpu {

namespace {
constexpr int64_t kChunk = 64;
}

template <class T>
void ssm_kernel(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                const std::complex<double>* ct, T* kernel) {
  const int64_t pairs = s.sets * s.channels, n = s.n, ch = s.channels, modes = s.modes;
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (pairs * n * modes >= 65536)
  for (int64_t p = 0; p < pairs; ++p) {
    const int64_t g = p / ch, c = p % ch;
    const std::complex<double>* lz = log_z + p * modes;
    const std::complex<double>* w = ct + p * modes;
    double acc[kChunk];
    for (int64_t l0 = 0; l0 < n; l0 += kChunk) {
      const int64_t len = std::min(kChunk, n - l0);
      std::fill(acc, acc + len, 0.0);
      for (int64_t m = 0; m < modes; ++m) {
        std::complex<double> term = w[m] * std::exp(static_cast<double>(l0) * lz[m]);
        const std::complex<double> step = std::exp(lz[m]);
        for (int64_t j = 0; j < len; ++j) {
          acc[j] += term.real();
          term *= step;
        }
      }
      for (int64_t j = 0; j < len; ++j) kernel[(g * n + l0 + j) * ch + c] = static_cast<T>(2.0 * acc[j]);
    }
  }
}

template <class T>
void ssm_recurrence(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                    const std::complex<double>* ct, const T* d, const T* u, T* y) {
  const int64_t n = s.n, ch = s.channels, modes = s.modes;
#pragma omp parallel for num_threads(ctx.threads) schedule(static)
  for (int64_t p = 0; p < s.batch * ch; ++p) {
    const int64_t b = p / ch, c = p % ch, g = b % s.sets;
    const std::complex<double>* lz = log_z + (g * ch + c) * modes;
    const std::complex<double>* w = ct + (g * ch + c) * modes;
    std::vector<std::complex<double>> z(static_cast<size_t>(modes)), x(static_cast<size_t>(modes), 0.0);
    for (int64_t m = 0; m < modes; ++m) z[m] = std::exp(lz[m]);
    const double skip = d ? static_cast<double>(d[g * ch + c]) : 0.0;
    for (int64_t l = 0; l < n; ++l) {
      const double ul = static_cast<double>(u[(b * n + l) * ch + c]);
      double acc = 0;
      for (int64_t m = 0; m < modes; ++m) {
        x[m] = z[m] * x[m] + ul;
        acc += (w[m] * x[m]).real();
      }
      y[(b * n + l) * ch + c] = static_cast<T>(2.0 * acc + skip * ul);
    }
  }
}

template <class T>
void ssm_skip(const Context& ctx, const SsmShape& s, const T* d, const T* u, T* y) {
  const int64_t n = s.n, ch = s.channels;
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (s.batch * n * ch >= 65536)
  for (int64_t r = 0; r < s.batch * n; ++r) {
    const T* dg = d + ((r / n) % s.sets) * ch;
    for (int64_t c = 0; c < ch; ++c) y[r * ch + c] += dg[c] * u[r * ch + c];
  }
}

#define ATTN_SSM_INSTANTIATE(T)                                                                                \
  template void ssm_kernel<T>(const Context&, const SsmShape&, const std::complex<double>*,                    \
                              const std::complex<double>*, T*);                                                \
  template void ssm_recurrence<T>(const Context&, const SsmShape&, const std::complex<double>*,                \
                                  const std::complex<double>*, const T*, const T*, T*);                        \
  template void ssm_skip<T>(const Context&, const SsmShape&, const T*, const T*, T*);
ATTN_SSM_INSTANTIATE(float)
ATTN_SSM_INSTANTIATE(double)
#undef ATTN_SSM_INSTANTIATE

}  // namespace attn::ops::cpu
