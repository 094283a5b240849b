// FFTW advanced-interface plans: one plan transforms `count` interleaved columns (stride = channels,
// distance 1) of one batch item. Plans are cached per (precision, direction, length, count, stride,
// operand alignments), because FFTW's new-array execute needs arrays aligned like the planning
// ones; FFTW_ESTIMATE planning neither reads nor writes the arrays, so the caller's own pointers
// plan safely. The planner is not thread-safe (one mutex); executing a plan is. Work is split over
// (batch item, channel chunk) units so that one head with 64 channels still uses both cores.
#include "ops/cpu/fft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "core/error.hpp"

namespace attn::ops::cpu {

namespace {

template <class T>
struct Fftw;

template <>
struct Fftw<float> {
  using Plan = fftwf_plan;
  using Complex = fftwf_complex;
  static int alignment(const void* p) { return fftwf_alignment_of(static_cast<float*>(const_cast<void*>(p))); }
  static Plan r2c(int n, int count, int stride, float* in, Complex* out) {
    return fftwf_plan_many_dft_r2c(1, &n, count, in, nullptr, stride, 1, out, nullptr, stride, 1, FFTW_ESTIMATE);
  }
  static Plan c2r(int n, int count, int stride, Complex* in, float* out) {
    return fftwf_plan_many_dft_c2r(1, &n, count, in, nullptr, stride, 1, out, nullptr, stride, 1, FFTW_ESTIMATE);
  }
  static void exec(Plan p, float* in, Complex* out) { fftwf_execute_dft_r2c(p, in, out); }
  static void exec(Plan p, Complex* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
};

template <>
struct Fftw<double> {
  using Plan = fftw_plan;
  using Complex = fftw_complex;
  static int alignment(const void* p) { return fftw_alignment_of(static_cast<double*>(const_cast<void*>(p))); }
  static Plan r2c(int n, int count, int stride, double* in, Complex* out) {
    return fftw_plan_many_dft_r2c(1, &n, count, in, nullptr, stride, 1, out, nullptr, stride, 1, FFTW_ESTIMATE);
  }
  static Plan c2r(int n, int count, int stride, Complex* in, double* out) {
    return fftw_plan_many_dft_c2r(1, &n, count, in, nullptr, stride, 1, out, nullptr, stride, 1, FFTW_ESTIMATE);
  }
  static void exec(Plan p, double* in, Complex* out) { fftw_execute_dft_r2c(p, in, out); }
  static void exec(Plan p, Complex* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
};

// (is_double, inverse, n, count, stride, in alignment, out alignment)
using PlanKey = std::tuple<bool, bool, int64_t, int64_t, int64_t, int, int>;

std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

template <class T>
std::map<PlanKey, typename Fftw<T>::Plan>& plan_cache() {
  static std::map<PlanKey, typename Fftw<T>::Plan> cache;  // plans live as long as the process
  return cache;
}

template <class T, class In, class Out>
typename Fftw<T>::Plan cached_plan(bool inverse, int64_t n, int64_t count, int64_t stride, In* in, Out* out) {
  using F = Fftw<T>;
  const PlanKey key{sizeof(T) == 8, inverse, n, count, stride, F::alignment(in), F::alignment(out)};
  std::lock_guard<std::mutex> lock(planner_mutex());
  auto& cache = plan_cache<T>();
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  typename F::Plan p;
  if constexpr (std::is_same_v<In, T>)
    p = F::r2c(int(n), int(count), int(stride), in, reinterpret_cast<typename F::Complex*>(out));
  else
    p = F::c2r(int(n), int(count), int(stride), reinterpret_cast<typename F::Complex*>(in), out);
  ATTN_CHECK(p != nullptr, "fft: FFTW could not create a plan");
  cache.emplace(key, p);
  return p;
}

// Runs fn(batch item, first channel, channel count) over units covering every column.
template <class Fn>
void for_each_unit(const Context& ctx, const FftShape& s, Fn fn) {
  const int64_t threads = std::max(1, ctx.threads);
  const int64_t chunks = std::clamp<int64_t>((threads + s.batch - 1) / s.batch, 1, s.channels);
  const int64_t width = (s.channels + chunks - 1) / chunks;
  const int64_t units = s.batch * chunks;
  auto run = [&](int64_t u) {
    const int64_t b = u / chunks, c0 = (u % chunks) * width;
    if (c0 < s.channels) fn(b, c0, std::min(width, s.channels - c0));
  };
  if (units > 1 && threads > 1 && s.n * s.channels * s.batch >= 4096) {
#pragma omp parallel for num_threads(static_cast<int>(threads)) schedule(static)
    for (int64_t u = 0; u < units; ++u) run(u);
  } else {
    for (int64_t u = 0; u < units; ++u) run(u);
  }
}

}  // namespace

template <class T>
void rfft_rows(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* xhat) {
  const int64_t n = s.n, c = s.channels, rows = s.real_rows(), bins = s.bins();
  const T* src = x;
  if (rows < n) {  // zero-pad each batch item to n rows
    T* pad = ctx.ws().get<T>("fft.pad", s.batch * n * c);
    for (int64_t b = 0; b < s.batch; ++b) {
      std::memcpy(pad + b * n * c, x + b * rows * c, sizeof(T) * rows * c);
      std::memset(pad + b * n * c + rows * c, 0, sizeof(T) * (n - rows) * c);
    }
    src = pad;
  }
  for_each_unit(ctx, s, [&](int64_t b, int64_t c0, int64_t count) {
    T* in = const_cast<T*>(src) + b * n * c + c0;  // r2c out-of-place leaves its input intact
    std::complex<T>* out = xhat + b * bins * c + c0;
    Fftw<T>::exec(cached_plan<T>(false, n, count, c, in, out), in,
                  reinterpret_cast<typename Fftw<T>::Complex*>(out));
  });
}

template <class T>
void irfft_rows(const Context& ctx, const FftShape& s, std::complex<T>* xhat, T* x) {
  const int64_t n = s.n, c = s.channels, rows = s.real_rows(), bins = s.bins();
  for (int64_t b = 0; b < s.batch; ++b) {  // numpy's irfft ignores these imaginary parts
    for (int64_t j = 0; j < c; ++j) {
      xhat[b * bins * c + j].imag(T(0));
      if (n % 2 == 0) xhat[(b * bins + n / 2) * c + j].imag(T(0));
    }
  }
  T* dst = rows < n ? ctx.ws().get<T>("fft.pad", s.batch * n * c) : x;
  for_each_unit(ctx, s, [&](int64_t b, int64_t c0, int64_t count) {
    std::complex<T>* in = xhat + b * bins * c + c0;
    T* out = dst + b * n * c + c0;
    Fftw<T>::exec(cached_plan<T>(true, n, count, c, in, out), reinterpret_cast<typename Fftw<T>::Complex*>(in),
                  out);
  });
  if (rows < n)
    for (int64_t b = 0; b < s.batch; ++b) std::memcpy(x + b * rows * c, dst + b * n * c, sizeof(T) * rows * c);
}

template void rfft_rows<float>(const Context&, const FftShape&, const float*, std::complex<float>*);
template void rfft_rows<double>(const Context&, const FftShape&, const double*, std::complex<double>*);
template void irfft_rows<float>(const Context&, const FftShape&, std::complex<float>*, float*);
template void irfft_rows<double>(const Context&, const FftShape&, std::complex<double>*, double*);

}  // namespace attn::ops::cpu
