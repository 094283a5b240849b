// Validated entries of the real FFTs.
#include "ops/fft.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ops/cpu/fft.hpp"
#include "ops/cpu/fft_direct.hpp"
#include "ops/cuda/fft.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

namespace {
void check(const FftShape& s, const void* a, const void* b, const char* op) {
  ATTN_CHECK(s.batch > 0 && s.n > 0 && s.channels > 0, std::string(op) + ": sizes must be positive");
  ATTN_CHECK(s.real_rows() >= 1 && s.real_rows() <= s.n, std::string(op) + ": rows must be in [1, n]");
  ATTN_CHECK(a != nullptr && b != nullptr && a != b, std::string(op) + ": null or aliased operands");
}

// The bin list lives on ctx.device: on the GPU only its size and pointer are checked here (reading
// it would be a device barrier in every forward); the kernels skip or poison an out-of-range bin.
void check_bins(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count, bool distinct,
                const char* op) {
  ATTN_CHECK(count >= 0 && (count == 0 || bins != nullptr), std::string(op) + ": bad bin list");
  if (ctx.device != Device::cpu) return;
  for (int64_t m = 0; m < count; ++m)
    ATTN_CHECK(bins[m] >= 0 && bins[m] < s.bins(), std::string(op) + ": bin index out of range");
  if (!distinct) return;
  std::vector<int64_t> sorted(bins, bins + count);
  std::sort(sorted.begin(), sorted.end());
  ATTN_CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(), std::string(op) + ": repeated bin");
}
}  // namespace

std::size_t fft_scratch_bytes(const FftShape& s, std::size_t real_elem_bytes, int threads, int64_t bins) {
  return cpu::fft_scratch_elems(s, threads, bins) * real_elem_bytes;
}

std::size_t fft_work_area_bytes_cuda(const FftShape& s, std::size_t real_elem_bytes) {
#if ATTNBENCH_HAVE_CUDA
  return cuda::fft_work_area_bytes(s, real_elem_bytes == sizeof(double));
#else
  (void)s;
  (void)real_elem_bytes;
  return 0;
#endif
}

std::size_t fft_scratch_bytes_cuda(const FftShape& s, std::size_t real_elem_bytes, int64_t bins) {
  if (bins >= 0 && cpu::prefer_direct_bins(s, bins)) {
    // ops/cuda/fft_direct.cu: the table (2 bins + 1 rows with a bias) and the GEMM operand.
    const int64_t k = 2 * bins + 1;
    return static_cast<std::size_t>(k * s.real_rows() + s.batch * k * s.channels) * real_elem_bytes;
  }
  const std::size_t spectrum = static_cast<std::size_t>(s.batch * s.channels * s.pitch()) * 2 * real_elem_bytes;
  return spectrum + fft_work_area_bytes_cuda(s, real_elem_bytes);
}

double fft_bins_flops(const FftShape& s, int64_t count) {
  const double columns = double(s.batch * s.channels), n = double(s.n);
  if (cpu::prefer_direct_bins(s, count)) return columns * 4.0 * double(count) * double(s.real_rows());
  return columns * 2.5 * n * std::log2(std::max(2.0, n));
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
void prepare_fft(const Context& ctx, const FftShape& s, int64_t bins) {
  ATTN_CHECK(s.batch > 0 && s.n > 0 && s.channels > 0, "prepare_fft: sizes must be positive");
  if (bins >= 0 && cpu::prefer_direct_bins(s, bins)) return;  // direct sums: no FFTW / cuFFT plan to make
  ATTN_DISPATCH(ctx, "prepare_fft", cpu::prepare_fft<T>(ctx, s), cuda::prepare_fft<T>(ctx, s));
}

template <class T>
void rfft_rows(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* xhat) {
  check(s, x, xhat, "rfft_rows");
  ATTN_DISPATCH(ctx, "rfft_rows", cpu::rfft_rows(ctx, s, x, xhat), cuda::rfft_rows(ctx, s, x, xhat));
}

template <class T>
void irfft_rows(const Context& ctx, const FftShape& s, std::complex<T>* xhat, T* x) {
  check(s, x, xhat, "irfft_rows");
  ATTN_DISPATCH(ctx, "irfft_rows", cpu::irfft_rows(ctx, s, xhat, x), cuda::irfft_rows(ctx, s, xhat, x));
}

template <class T>
void rfft_bins(const Context& ctx, const FftShape& s, const T* x, const int64_t* bins, int64_t count,
               std::complex<T>* out) {
  check(s, x, out, "rfft_bins");
  check_bins(ctx, s, bins, count, false, "rfft_bins");
  ATTN_CHECK(ctx.workspace != nullptr, "rfft_bins: the context needs a workspace");
  ATTN_DISPATCH(ctx, "rfft_bins", cpu::rfft_bins(ctx, s, x, bins, count, out),
                cuda::rfft_bins(ctx, s, x, bins, count, out));
}

template <class T>
void irfft_bins(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count,
                const std::complex<T>* yhat, T* x, const T* bias) {
  check(s, x, yhat, "irfft_bins");
  check_bins(ctx, s, bins, count, true, "irfft_bins");
  ATTN_CHECK(ctx.workspace != nullptr, "irfft_bins: the context needs a workspace");
  ATTN_DISPATCH(ctx, "irfft_bins", cpu::irfft_bins(ctx, s, bins, count, yhat, x, bias),
                cuda::irfft_bins(ctx, s, bins, count, yhat, x, bias));
}

template <class T>
void fft_convolve_rows(const Context& ctx, const FftShape& s, int64_t sets, const std::complex<T>* khat, const T* x,
                       T* y) {
  check(s, x, y, "fft_convolve_rows");
  ATTN_CHECK(khat != nullptr && sets > 0 && s.batch % sets == 0,
             "fft_convolve_rows: null kernel spectrum or batch not a multiple of sets");
  ATTN_CHECK(ctx.workspace != nullptr, "fft_convolve_rows: the context needs a workspace");
  ATTN_DISPATCH(ctx, "fft_convolve_rows", cpu::fft_convolve_rows(ctx, s, sets, khat, x, y),
                cuda::fft_convolve_rows(ctx, s, sets, khat, x, y));
}

#define ATTN_FFT_INSTANTIATE(T)                                                                                   \
  template void prepare_fft<T>(const Context&, const FftShape&, int64_t);                                         \
  template void rfft_rows<T>(const Context&, const FftShape&, const T*, std::complex<T>*);                       \
  template void irfft_rows<T>(const Context&, const FftShape&, std::complex<T>*, T*);                            \
  template void rfft_bins<T>(const Context&, const FftShape&, const T*, const int64_t*, int64_t, std::complex<T>*); \
  template void irfft_bins<T>(const Context&, const FftShape&, const int64_t*, int64_t, const std::complex<T>*, T*, \
                              const T*);                                                                          \
  template void fft_convolve_rows<T>(const Context&, const FftShape&, int64_t, const std::complex<T>*, const T*, T*);
ATTN_FFT_INSTANTIATE(float)
ATTN_FFT_INSTANTIATE(double)
#undef ATTN_FFT_INSTANTIATE

}  // namespace attn::ops
