// Twiddle tables cos/sin(2 pi ((f t) mod n) / n) in fp64, then dgemm: forward Re = C x, Im = -S x;
// inverse y = (w C)^T Re - (w S)^T Im.
#include "ops/cpu/dft.hpp"

#include <cmath>
#include <numbers>
#include <vector>

#include "ops/cpu/gemm.hpp"

namespace attn::ops::cpu {

namespace {

// cos and sin tables [count, n] for the given bins (weights w_m folded in when given).
void twiddles(int64_t n, const int64_t* bins, int64_t count, const double* weight, std::vector<double>& c,
              std::vector<double>& s) {
  c.resize(static_cast<size_t>(count * n));
  s.resize(static_cast<size_t>(count * n));
  for (int64_t m = 0; m < count; ++m) {
    const double w = weight ? weight[m] : 1.0;
    for (int64_t t = 0; t < n; ++t) {
      const double phase = 2.0 * std::numbers::pi * static_cast<double>((bins[m] * t) % n) / static_cast<double>(n);
      c[m * n + t] = w * std::cos(phase);
      s[m * n + t] = w * std::sin(phase);
    }
  }
}

}  // namespace

template <class T>
void dft_bins_reference(const Context& ctx, const DftShape& s, const T* x, const int64_t* bins, int64_t count,
                        std::complex<double>* out) {
  if (count == 0) return;
  const int64_t n = s.n, ch = s.channels;
  std::vector<double> c, sn, xb(static_cast<size_t>(n * ch)), re(static_cast<size_t>(count * ch)),
      im(static_cast<size_t>(count * ch));
  twiddles(n, bins, count, nullptr, c, sn);
  const GemmShape g = gemm_shape(Trans::no, Trans::no, count, ch, n);
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t i = 0; i < n * ch; ++i) xb[i] = static_cast<double>(x[b * n * ch + i]);
    cpu::gemm<double>(ctx, g, 1.0, c.data(), xb.data(), 0.0, re.data());
    cpu::gemm<double>(ctx, g, -1.0, sn.data(), xb.data(), 0.0, im.data());
    for (int64_t i = 0; i < count * ch; ++i) out[b * count * ch + i] = {re[i], im[i]};
  }
}

template <class T>
void idft_real_reference(const Context& ctx, const DftShape& s, const int64_t* bins, int64_t count,
                         const std::complex<double>* yhat, T* out) {
  const int64_t n = s.n, ch = s.channels;
  if (count == 0) {
    for (int64_t i = 0; i < s.batch * n * ch; ++i) out[i] = T(0);
    return;
  }
  std::vector<double> weight(static_cast<size_t>(count));
  for (int64_t m = 0; m < count; ++m) weight[m] = (bins[m] == 0 || 2 * bins[m] == n) ? 1.0 : 2.0;
  std::vector<double> c, sn, re(static_cast<size_t>(count * ch)), im(static_cast<size_t>(count * ch)),
      y(static_cast<size_t>(n * ch));
  twiddles(n, bins, count, weight.data(), c, sn);
  const GemmShape g = gemm_shape(Trans::yes, Trans::no, n, ch, count);
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t i = 0; i < count * ch; ++i) {
      re[i] = yhat[b * count * ch + i].real();
      im[i] = yhat[b * count * ch + i].imag();
    }
    cpu::gemm<double>(ctx, g, 1.0, c.data(), re.data(), 0.0, y.data());
    cpu::gemm<double>(ctx, g, -1.0, sn.data(), im.data(), 1.0, y.data());
    for (int64_t i = 0; i < n * ch; ++i) out[b * n * ch + i] = static_cast<T>(y[i]);
  }
}

template void dft_bins_reference<float>(const Context&, const DftShape&, const float*, const int64_t*, int64_t,
                                        std::complex<double>*);
template void dft_bins_reference<double>(const Context&, const DftShape&, const double*, const int64_t*, int64_t,
                                         std::complex<double>*);
template void idft_real_reference<float>(const Context&, const DftShape&, const int64_t*, int64_t,
                                         const std::complex<double>*, float*);
template void idft_real_reference<double>(const Context&, const DftShape&, const int64_t*, int64_t,
                                          const std::complex<double>*, double*);

}  // namespace attn::ops::cpu
