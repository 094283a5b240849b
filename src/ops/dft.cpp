// Validated entries of the reference DFTs.
#include "ops/dft.hpp"

#include "ops/cpu/dft.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void dft_bins_reference(const Context& ctx, const DftShape& s, const T* x, const int64_t* bins, int64_t count,
                        std::complex<double>* out) {
  ATTN_CHECK(s.batch > 0 && s.n > 0 && s.channels > 0 && count >= 0 && x && out && (count == 0 || bins),
             "dft_bins_reference: bad operands");
  for (int64_t m = 0; m < count; ++m) ATTN_CHECK(bins[m] >= 0 && bins[m] < s.n, "dft_bins_reference: bin out of range");
  ATTN_DISPATCH_CPU_ONLY(ctx, "dft_bins_reference", cpu::dft_bins_reference(ctx, s, x, bins, count, out));
}

template <class T>
void idft_real_reference(const Context& ctx, const DftShape& s, const int64_t* bins, int64_t count,
                         const std::complex<double>* yhat, T* out) {
  ATTN_CHECK(s.batch > 0 && s.n > 0 && s.channels > 0 && count >= 0 && yhat && out && (count == 0 || bins),
             "idft_real_reference: bad operands");
  for (int64_t m = 0; m < count; ++m)
    ATTN_CHECK(bins[m] >= 0 && bins[m] <= s.n / 2, "idft_real_reference: bin out of range");
  ATTN_DISPATCH_CPU_ONLY(ctx, "idft_real_reference", cpu::idft_real_reference(ctx, s, bins, count, yhat, out));
}

template void dft_bins_reference<float>(const Context&, const DftShape&, const float*, const int64_t*, int64_t,
                                        std::complex<double>*);
template void dft_bins_reference<double>(const Context&, const DftShape&, const double*, const int64_t*, int64_t,
                                         std::complex<double>*);
template void idft_real_reference<float>(const Context&, const DftShape&, const int64_t*, int64_t,
                                         const std::complex<double>*, float*);
template void idft_real_reference<double>(const Context&, const DftShape&, const int64_t*, int64_t,
                                          const std::complex<double>*, double*);

}  // namespace attn::ops
