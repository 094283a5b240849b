// Validated entries of the real FFTs.
#include "ops/fft.hpp"

#include <algorithm>
#include <string>

#include "ops/cpu/fft.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

namespace {
void check(const FftShape& s, const void* a, const void* b, const char* op) {
  ATTN_CHECK(s.batch > 0 && s.n > 0 && s.channels > 0, std::string(op) + ": sizes must be positive");
  ATTN_CHECK(s.real_rows() >= 1 && s.real_rows() <= s.n, std::string(op) + ": rows must be in [1, n]");
  ATTN_CHECK(a != nullptr && b != nullptr && a != b, std::string(op) + ": null or aliased operands");
}
}  // namespace

std::size_t fft_scratch_bytes(const FftShape& s, std::size_t real_elem_bytes) {
  if (s.real_rows() == s.n) return 0;
  return static_cast<std::size_t>(s.batch * s.n * s.channels) * real_elem_bytes;
}

int64_t fft_fast_length(int64_t n) {
  for (int64_t m = std::max<int64_t>(n, 1);; ++m) {
    int64_t r = m;
    for (int64_t p : {2, 3, 5, 7})
      while (r % p == 0) r /= p;
    if (r == 1) return m;
  }
}

template <class T>
void rfft_rows(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* xhat) {
  check(s, x, xhat, "rfft_rows");
  ATTN_CHECK(s.real_rows() == s.n || ctx.workspace != nullptr, "rfft_rows: zero-padding needs a workspace");
  ATTN_DISPATCH_CPU_ONLY(ctx, "rfft_rows", cpu::rfft_rows(ctx, s, x, xhat));
}

template <class T>
void irfft_rows(const Context& ctx, const FftShape& s, std::complex<T>* xhat, T* x) {
  check(s, x, xhat, "irfft_rows");
  ATTN_CHECK(s.real_rows() == s.n || ctx.workspace != nullptr, "irfft_rows: truncation needs a workspace");
  ATTN_DISPATCH_CPU_ONLY(ctx, "irfft_rows", cpu::irfft_rows(ctx, s, xhat, x));
}

template void rfft_rows<float>(const Context&, const FftShape&, const float*, std::complex<float>*);
template void rfft_rows<double>(const Context&, const FftShape&, const double*, std::complex<double>*);
template void irfft_rows<float>(const Context&, const FftShape&, std::complex<float>*, float*);
template void irfft_rows<double>(const Context&, const FftShape&, std::complex<double>*, double*);

}  // namespace attn::ops
