// Direct sums in chunks of kChunk rows: with t = t0 + tau, e^{-i theta t} = e^{-i theta t0} e^{-i theta tau},
// so one table of cos / sin(theta_m tau) for tau < kChunk (2 count x kChunk, made once per (n, bins) and
// kept like an FFTW plan) serves every chunk, and each chunk is one GEMM with the time-major rows:
//   forward  [cos; sin] (2 count x L) . x[t0 : t0 + L] (L x d), then rotated by e^{-i theta t0} and summed;
//   inverse  x[t0 : t0 + L] = [cos; sin]^T (L x 2 count) . [Re Z; -Im Z], Z = w Y e^{+i theta t0}.
// Phases come from exact integer products (f t) mod n evaluated in fp64. (batch item, chunk) units run
// in parallel with single-threaded BLAS; the forward sums per-worker partials at the end.
//
// Cost: 4 count n d flops per direction at GEMM speed, against ~2.5 n log2(n) d for an FFT at FFT
// speed (about 10x lower) plus the transposes: the direct sums win up to ~2-3 log2(n) bins. For FNO's
// 16 bins at N = 64K, d = 64 they took 5.6 ms instead of 22 ms (one thread), and they grow linearly in N.
#include "ops/cpu/fft_direct.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numbers>
#include <tuple>
#include <vector>

#include "core/threads.hpp"
#include "ops/cpu/blas.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn::ops::cpu {

namespace {

constexpr int64_t kChunk = 1024;
constexpr int64_t kParallelMin = 32768;  // below this many input elements one thread does everything

int64_t chunk_rows(const FftShape& s) { return std::min(kChunk, s.real_rows()); }
int64_t chunks(const FftShape& s) { return (s.real_rows() + chunk_rows(s) - 1) / chunk_rows(s); }

int workers(const FftShape& s, int threads) {
  const int64_t units = s.batch * chunks(s);
  const bool parallel = threads > 1 && units > 1 && s.batch * s.real_rows() * s.channels >= kParallelMin;
  return parallel ? static_cast<int>(std::min<int64_t>(threads, units)) : 1;
}

// (angle of e^{i 2 pi f t / n}) from the exact residue (f t) mod n.
double angle(int64_t f, int64_t t, int64_t n) {
  return 2.0 * std::numbers::pi * static_cast<double>((f * t) % n) / static_cast<double>(n);
}

using TableKey = std::tuple<bool, int64_t, int64_t, std::vector<int64_t>>;

// [cos; sin](theta_m tau), 2 count x chunk, cached per (precision, n, chunk, bins).
template <class T>
const T* twiddles(const FftShape& s, const int64_t* bins, int64_t count) {
  static std::mutex mutex;
  static std::map<TableKey, std::vector<T>> cache;  // lives as long as the process, like FFTW's plans
  const int64_t len = chunk_rows(s);
  TableKey key{sizeof(T) == 8, s.n, len, std::vector<int64_t>(bins, bins + count)};
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::vector<T> table(static_cast<size_t>(2 * count * len));
    for (int64_t m = 0; m < count; ++m)
      for (int64_t tau = 0; tau < len; ++tau) {
        const double a = angle(bins[m], tau, s.n);
        table[m * len + tau] = static_cast<T>(std::cos(a));
        table[(count + m) * len + tau] = static_cast<T>(std::sin(a));
      }
    it = cache.emplace(std::move(key), std::move(table)).first;
  }
  return it->second.data();
}

// fn(batch item, first row, rows, worker) over every (batch item, chunk).
template <class Fn>
void for_each_chunk(const FftShape& s, int team, Fn fn) {
  const int64_t per = chunks(s), len = chunk_rows(s), units = s.batch * per;
  auto run = [&](int64_t u, int w) {
    const int64_t b = u / per, t0 = (u % per) * len;
    fn(b, t0, std::min(len, s.real_rows() - t0), w);
  };
  if (team == 1) {
    for (int64_t u = 0; u < units; ++u) run(u, 0);
    return;
  }
  BlasSingleThreaded single;
#pragma omp parallel num_threads(team)
  {
#ifdef _OPENMP
    const int id = omp_get_thread_num();
#else
    const int id = 0;
#endif
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < units; ++u) run(u, id);
  }
}

}  // namespace

bool prefer_direct_bins(const FftShape& s, int64_t count) {
  if (count == 0) return true;
  const int64_t log2n = static_cast<int64_t>(std::ceil(std::log2(static_cast<double>(std::max<int64_t>(s.n, 2)))));
  return count <= 2 * log2n;
}

std::size_t direct_bins_scratch_elems(const FftShape& s, int64_t count, int threads, bool inverse) {
  const std::size_t per = static_cast<std::size_t>(2 * count * s.channels) * (inverse ? 1 : 1 + s.batch);
  return per * static_cast<std::size_t>(workers(s, std::max(1, threads)));
}

template <class T>
void rfft_bins_direct(const Context& ctx, const FftShape& s, const T* x, const int64_t* bins, int64_t count,
                      std::complex<T>* out) {
  const int64_t rows = s.real_rows(), d = s.channels, len = chunk_rows(s);
  if (count == 0) return;
  const int team = workers(s, ctx.threads);
  const T* table = twiddles<T>(s, bins, count);
  const int64_t per = 2 * count * d * (1 + s.batch);  // GEMM result, then this worker's partial sums
  T* base = ctx.ws().get<T>("fft.direct", per * team);
  for (int w = 0; w < team; ++w) std::fill(base + w * per + 2 * count * d, base + (w + 1) * per, T(0));
  for_each_chunk(s, team, [&](int64_t b, int64_t t0, int64_t n_rows, int w) {
    T* c = base + w * per;
    auto* partial = reinterpret_cast<std::complex<T>*>(c + 2 * count * d) + b * count * d;
    blas_gemm(Trans::no, Trans::no, 2 * count, d, n_rows, T(1), table, len, x + (b * rows + t0) * d, d, T(0), c, d);
    for (int64_t m = 0; m < count; ++m) {
      const double a = angle(bins[m], t0, s.n);
      const T pc = static_cast<T>(std::cos(a)), ps = static_cast<T>(std::sin(a));
      const T *re = c + m * d, *im = c + (count + m) * d;  // sum cos x, sum sin x
      for (int64_t j = 0; j < d; ++j)  // e^{-i a} (re - i im)
        partial[m * d + j] += std::complex<T>(pc * re[j] - ps * im[j], -(ps * re[j] + pc * im[j]));
    }
  });
  for (int64_t i = 0; i < s.batch * count * d; ++i) {
    std::complex<T> acc(0);
    for (int w = 0; w < team; ++w) acc += reinterpret_cast<const std::complex<T>*>(base + w * per + 2 * count * d)[i];
    out[i] = acc;
  }
}

template <class T>
void irfft_bins_direct(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count,
                       const std::complex<T>* yhat, T* x, const T* bias) {
  const int64_t rows = s.real_rows(), d = s.channels, len = chunk_rows(s);
  if (count == 0) {  // no bins: the output is the bias alone
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t t = 0; t < rows; ++t)
        for (int64_t j = 0; j < d; ++j) x[(b * rows + t) * d + j] = bias ? bias[b * d + j] : T(0);
    return;
  }
  const int team = workers(s, ctx.threads);
  const T* table = twiddles<T>(s, bins, count);
  T* base = ctx.ws().get<T>("fft.direct", 2 * count * d * team);
  for_each_chunk(s, team, [&](int64_t b, int64_t t0, int64_t n_rows, int w) {
    T* z = base + w * 2 * count * d;  // [Re Z; -Im Z]
    for (int64_t m = 0; m < count; ++m) {
      const bool real_bin = bins[m] == 0 || 2 * bins[m] == s.n;  // irfft ignores these imaginary parts
      const double a = angle(bins[m], t0, s.n);
      const std::complex<T> rot(static_cast<T>(std::cos(a)), static_cast<T>(std::sin(a)));
      const T weight = real_bin ? T(1) : T(2);
      const std::complex<T>* y = yhat + (b * count + m) * d;
      for (int64_t j = 0; j < d; ++j) {
        const std::complex<T> v = weight * (real_bin ? std::complex<T>(y[j].real(), 0) : y[j]) * rot;
        z[m * d + j] = v.real();
        z[(count + m) * d + j] = -v.imag();
      }
    }
    T* o = x + (b * rows + t0) * d;
    blas_gemm(Trans::yes, Trans::no, n_rows, d, 2 * count, T(1), table, len, z, d, T(0), o, d);
    if (bias)
      for (int64_t t = 0; t < n_rows; ++t)
        for (int64_t j = 0; j < d; ++j) o[t * d + j] += bias[b * d + j];
  });
}

template void rfft_bins_direct<float>(const Context&, const FftShape&, const float*, const int64_t*, int64_t,
                                      std::complex<float>*);
template void rfft_bins_direct<double>(const Context&, const FftShape&, const double*, const int64_t*, int64_t,
                                       std::complex<double>*);
template void irfft_bins_direct<float>(const Context&, const FftShape&, const int64_t*, int64_t,
                                       const std::complex<float>*, float*, const float*);
template void irfft_bins_direct<double>(const Context&, const FftShape&, const int64_t*, int64_t,
                                        const std::complex<double>*, double*, const double*);

}  // namespace attn::ops::cpu
