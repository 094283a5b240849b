// Every transform runs on contiguous memory. The sequence data is [rows, channels] row-major, so a
// transform's column is strided; FFTW's strided plans then touch one cache line per element and at
// N = 64K were 3-5x slower than contiguous ones (and the strided irfft worse still). So the work is
// split into blocks of kBlock columns (one 64-byte line of fp32 per row): a block is transposed
// tile by tile into kBlock contiguous rows (a channel-major spectrum, or a per-thread scratch block
// that stays in cache), transformed in place by one FFTW plan over the block, and transposed back.
// Blocks run in parallel over (batch item, column block).
//
// Plans: FFTW_MEASURE. Its plans ran these transforms 1.3-1.7x faster than FFTW_ESTIMATE's (r2c + c2r
// of 64 columns, CPU time: 0.73 -> 0.49 ms at N = 4096, 16.5 -> 11.7 ms at N = 64K), at a planning
// cost of milliseconds for small N and seconds for N = 64K, paid once per process and shape;
// prepare_fft lets a method pay it in its set-up, outside the timed forward. Measuring runs the
// candidate plans on a temporary buffer, never on the caller's data. Plans are cached per
// (precision, direction, length, block width, pitch, alignment), because FFTW's new-array execute
// needs arrays aligned like the planning ones, and are made before the parallel region (the
// planner is not thread-safe; executing a plan is).
#include "ops/cpu/fft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "core/error.hpp"
#include "ops/cpu/fft_direct.hpp"
#include "ops/cpu/fft_transpose.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn::ops::cpu {

namespace {

using fft_detail::gather_columns;
using fft_detail::kBlock;
using fft_detail::scatter_columns;
constexpr int64_t kParallelMin = 32768;  // below this many elements one thread does everything
constexpr unsigned kPlannerFlags = FFTW_MEASURE;

template <class T>
struct Fftw;

template <>
struct Fftw<float> {
  using Plan = fftwf_plan;
  using Complex = fftwf_complex;
  static int alignment(void* p) { return fftwf_alignment_of(static_cast<float*>(p)); }
  static float* alloc(std::size_t n) { return fftwf_alloc_real(n); }
  static void free(float* p) { fftwf_free(p); }
  static Plan r2c(int n, int count, int pitch, float* buf) {
    return fftwf_plan_many_dft_r2c(1, &n, count, buf, nullptr, 1, 2 * pitch, reinterpret_cast<Complex*>(buf), nullptr,
                                   1, pitch, kPlannerFlags);
  }
  static Plan c2r(int n, int count, int pitch, float* buf) {
    return fftwf_plan_many_dft_c2r(1, &n, count, reinterpret_cast<Complex*>(buf), nullptr, 1, pitch, buf, nullptr, 1,
                                   2 * pitch, kPlannerFlags);
  }
  static void forward(Plan p, float* buf) { fftwf_execute_dft_r2c(p, buf, reinterpret_cast<Complex*>(buf)); }
  static void inverse(Plan p, float* buf) { fftwf_execute_dft_c2r(p, reinterpret_cast<Complex*>(buf), buf); }
};

template <>
struct Fftw<double> {
  using Plan = fftw_plan;
  using Complex = fftw_complex;
  static int alignment(void* p) { return fftw_alignment_of(static_cast<double*>(p)); }
  static double* alloc(std::size_t n) { return fftw_alloc_real(n); }
  static void free(double* p) { fftw_free(p); }
  static Plan r2c(int n, int count, int pitch, double* buf) {
    return fftw_plan_many_dft_r2c(1, &n, count, buf, nullptr, 1, 2 * pitch, reinterpret_cast<Complex*>(buf), nullptr,
                                  1, pitch, kPlannerFlags);
  }
  static Plan c2r(int n, int count, int pitch, double* buf) {
    return fftw_plan_many_dft_c2r(1, &n, count, reinterpret_cast<Complex*>(buf), nullptr, 1, pitch, buf, nullptr, 1,
                                  2 * pitch, kPlannerFlags);
  }
  static void forward(Plan p, double* buf) { fftw_execute_dft_r2c(p, buf, reinterpret_cast<Complex*>(buf)); }
  static void inverse(Plan p, double* buf) { fftw_execute_dft_c2r(p, reinterpret_cast<Complex*>(buf), buf); }
};

// (is_double, inverse, n, count, pitch, alignment)
using PlanKey = std::tuple<bool, bool, int64_t, int64_t, int64_t, int>;

std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

template <class T>
std::map<PlanKey, typename Fftw<T>::Plan>& plan_cache() {
  static std::map<PlanKey, typename Fftw<T>::Plan> cache;  // plans live as long as the process
  return cache;
}

// In-place transforms of `count` contiguous rows of 2 pitch reals (pitch complex), for arrays with
// FFTW alignment `align`. FFTW_MEASURE overwrites the planning array, so planning uses a temporary
// one shifted to the same alignment.
template <class T>
typename Fftw<T>::Plan cached_plan(bool inverse, int64_t n, int64_t count, int64_t pitch, int align) {
  using F = Fftw<T>;
  const PlanKey key{sizeof(T) == 8, inverse, n, count, pitch, align};
  std::lock_guard<std::mutex> lock(planner_mutex());
  auto& cache = plan_cache<T>();
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  constexpr std::size_t kSlack = 64 / sizeof(T);
  T* tmp = F::alloc(static_cast<std::size_t>(count * 2 * pitch) + kSlack);
  ATTN_CHECK(tmp != nullptr, "fft: cannot allocate the planning buffer");
  std::size_t shift = 0;
  while (shift < kSlack && F::alignment(tmp + shift) != align) ++shift;
  ATTN_CHECK(shift < kSlack, "fft: no planning buffer with the operands' alignment");
  T* buf = tmp + shift;
  const typename F::Plan p =
      inverse ? F::c2r(int(n), int(count), int(pitch), buf) : F::r2c(int(n), int(count), int(pitch), buf);
  F::free(tmp);
  ATTN_CHECK(p != nullptr, "fft: FFTW could not create a plan");
  cache.emplace(key, p);
  return p;
}

// The column blocks of a shape and who runs them.
struct Blocks {
  int64_t channels, width, per_item, units;  // blocks of `width` columns, per_item per batch item
  int workers;
  int64_t count(int64_t u) const { return std::min(width, channels - (u % per_item) * width); }
};

Blocks blocks(const FftShape& s, int threads) {
  Blocks b{};
  b.channels = s.channels;
  b.width = std::min(kBlock, s.channels);
  b.per_item = (s.channels + b.width - 1) / b.width;
  b.units = s.batch * b.per_item;
  const bool parallel = threads > 1 && b.units > 1 && s.batch * s.n * s.channels >= kParallelMin;
  b.workers = parallel ? static_cast<int>(std::min<int64_t>(threads, b.units)) : 1;
  return b;
}

// The plans for a full block and for the narrower last block of each item (null when none). Callers
// copy them into plain variables, not a structured binding: clang's OpenMP lambdas cannot capture those.
template <class T>
std::pair<typename Fftw<T>::Plan, typename Fftw<T>::Plan> block_plans(bool inverse, const FftShape& s,
                                                                      const Blocks& bl, T* buf) {
  const int64_t tail = s.channels % bl.width;
  const int align = Fftw<T>::alignment(buf);
  return {cached_plan<T>(inverse, s.n, bl.width, s.pitch(), align),
          tail ? cached_plan<T>(inverse, s.n, tail, s.pitch(), align) : nullptr};
}

// fn(batch item, first column, column count, worker) for every block.
template <class Fn>
void for_each_block(const Blocks& bl, Fn fn) {
  auto run = [&](int64_t u, int worker) {
    const int64_t b = u / bl.per_item, c0 = (u % bl.per_item) * bl.width;
    fn(b, c0, bl.count(u), worker);
  };
  if (bl.workers == 1) {
    for (int64_t u = 0; u < bl.units; ++u) run(u, 0);
    return;
  }
  // Dynamic: on a shared machine a descheduled thread's blocks go to the other one.
#pragma omp parallel num_threads(bl.workers)
  {
#ifdef _OPENMP
    const int id = omp_get_thread_num();
#else
    const int id = 0;
#endif
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < bl.units; ++u) run(u, id);
  }
}

// Outputs of at least this many bytes are written with streaming stores: they will not be read
// again soon (every fused consumer is already applied) and no longer fit in cache, so skipping the
// read-for-ownership of each line saves a third of the memory traffic (scatter at N = 64K, d = 64:
// 2.0 -> 0.6 ms measured).
constexpr std::size_t kStreamBytes = std::size_t{8} << 20;

// numpy's irfft ignores the imaginary parts of the DC and (n even) Nyquist bins; FFTW's c2r does not.
template <class T>
void drop_hermitian_imag(std::complex<T>* spectrum, int64_t n, int64_t count, int64_t pitch) {
  for (int64_t j = 0; j < count; ++j) {
    spectrum[j * pitch].imag(T(0));
    if (n % 2 == 0) spectrum[j * pitch + n / 2].imag(T(0));
  }
}

template <class T>
bool streams(const FftShape& s) {
  return static_cast<std::size_t>(s.batch * s.real_rows() * s.channels) * sizeof(T) >= kStreamBytes;
}

template <class T>
T* scratch(const Context& ctx, const FftShape& s, const Blocks& bl) {
  return ctx.ws().get<T>("fft.scratch", static_cast<int64_t>(bl.workers) * bl.width * 2 * s.pitch());
}

}  // namespace

template <class T>
void prepare_fft(const Context& ctx, const FftShape& s) {
  const Blocks bl = blocks(s, ctx.threads);
  T* aligned = Fftw<T>::alloc(1);  // FFTW's own allocations (and the workspace's) are SIMD-aligned
  for (bool inverse : {false, true}) block_plans<T>(inverse, s, bl, aligned);
  Fftw<T>::free(aligned);
}

std::size_t fft_scratch_elems(const FftShape& s, int threads, int64_t bins) {
  if (bins >= 0 && prefer_direct_bins(s, bins))  // rfft_bins' share; irfft_bins' is smaller
    return direct_bins_scratch_elems(s, bins, threads, false);
  const Blocks bl = blocks(s, std::max(1, threads));
  return static_cast<std::size_t>(bl.workers * bl.width * 2 * s.pitch());
}

template <class T>
void rfft_rows(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* xhat) {
  const int64_t rows = s.real_rows(), c = s.channels, pitch = s.pitch();
  const Blocks bl = blocks(s, ctx.threads);
  const auto plans = block_plans<T>(false, s, bl, reinterpret_cast<T*>(xhat));
  const auto full = plans.first;
  const auto tail = plans.second;
  for_each_block(bl, [&](int64_t b, int64_t c0, int64_t count, int) {
    T* buf = reinterpret_cast<T*>(xhat + (b * c + c0) * pitch);
    gather_columns(x + b * rows * c + c0, c, rows, s.n, count, buf, 2 * pitch);
    Fftw<T>::forward(count == bl.width ? full : tail, buf);
  });
}

template <class T>
void irfft_rows(const Context& ctx, const FftShape& s, std::complex<T>* xhat, T* x) {
  const int64_t rows = s.real_rows(), c = s.channels, pitch = s.pitch();
  const bool stream = streams<T>(s);
  const Blocks bl = blocks(s, ctx.threads);
  const auto plans = block_plans<T>(true, s, bl, reinterpret_cast<T*>(xhat));
  const auto full = plans.first;
  const auto tail = plans.second;
  for_each_block(bl, [&](int64_t b, int64_t c0, int64_t count, int) {
    std::complex<T>* spec = xhat + (b * c + c0) * pitch;
    drop_hermitian_imag(spec, s.n, count, pitch);
    T* buf = reinterpret_cast<T*>(spec);
    Fftw<T>::inverse(count == bl.width ? full : tail, buf);
    scatter_columns<T>(buf, 2 * pitch, rows, count, nullptr, x + b * rows * c + c0, c, stream);
  });
}

template <class T>
void rfft_bins(const Context& ctx, const FftShape& s, const T* x, const int64_t* bins, int64_t count,
               std::complex<T>* out) {
  if (prefer_direct_bins(s, count)) return rfft_bins_direct(ctx, s, x, bins, count, out);
  const int64_t rows = s.real_rows(), c = s.channels, pitch = s.pitch();
  const Blocks bl = blocks(s, ctx.threads);
  T* base = scratch<T>(ctx, s, bl);
  const auto plans = block_plans<T>(false, s, bl, base);
  const auto full = plans.first;
  const auto tail = plans.second;
  for_each_block(bl, [&](int64_t b, int64_t c0, int64_t width, int worker) {
    T* buf = base + worker * bl.width * 2 * pitch;
    gather_columns(x + b * rows * c + c0, c, rows, s.n, width, buf, 2 * pitch);
    Fftw<T>::forward(width == bl.width ? full : tail, buf);
    const auto* spec = reinterpret_cast<const std::complex<T>*>(buf);
    for (int64_t m = 0; m < count; ++m) {
      std::complex<T>* o = out + (b * count + m) * c + c0;
      for (int64_t j = 0; j < width; ++j) o[j] = spec[j * pitch + bins[m]];
    }
  });
}

template <class T>
void irfft_bins(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count,
                const std::complex<T>* yhat, T* x, const T* bias) {
  if (prefer_direct_bins(s, count)) return irfft_bins_direct(ctx, s, bins, count, yhat, x, bias);
  const int64_t rows = s.real_rows(), c = s.channels, pitch = s.pitch();
  const bool stream = streams<T>(s);
  const Blocks bl = blocks(s, ctx.threads);
  T* base = scratch<T>(ctx, s, bl);
  const auto plans = block_plans<T>(true, s, bl, base);
  const auto full = plans.first;
  const auto tail = plans.second;
  for_each_block(bl, [&](int64_t b, int64_t c0, int64_t width, int worker) {
    T* buf = base + worker * bl.width * 2 * pitch;
    auto* spec = reinterpret_cast<std::complex<T>*>(buf);
    std::memset(static_cast<void*>(spec), 0, sizeof(std::complex<T>) * width * pitch);
    for (int64_t m = 0; m < count; ++m) {
      const std::complex<T>* y = yhat + (b * count + m) * c + c0;
      for (int64_t j = 0; j < width; ++j) spec[j * pitch + bins[m]] = y[j];
    }
    drop_hermitian_imag(spec, s.n, width, pitch);
    Fftw<T>::inverse(width == bl.width ? full : tail, buf);
    scatter_columns(buf, 2 * pitch, rows, width, bias ? bias + b * c + c0 : nullptr, x + b * rows * c + c0, c, stream);
  });
}

template <class T>
void fft_convolve_rows(const Context& ctx, const FftShape& s, int64_t sets, const std::complex<T>* khat, const T* x,
                       T* y) {
  const int64_t rows = s.real_rows(), c = s.channels, pitch = s.pitch(), bins = s.bins();
  const bool stream = streams<T>(s);
  const Blocks bl = blocks(s, ctx.threads);
  T* base = scratch<T>(ctx, s, bl);
  const auto plans_fwd = block_plans<T>(false, s, bl, base);
  const auto fwd_full = plans_fwd.first;
  const auto fwd_tail = plans_fwd.second;
  const auto plans_inv = block_plans<T>(true, s, bl, base);
  const auto inv_full = plans_inv.first;
  const auto inv_tail = plans_inv.second;
  for_each_block(bl, [&](int64_t b, int64_t c0, int64_t width, int worker) {
    T* buf = base + worker * bl.width * 2 * pitch;
    gather_columns(x + b * rows * c + c0, c, rows, s.n, width, buf, 2 * pitch);
    Fftw<T>::forward(width == bl.width ? fwd_full : fwd_tail, buf);
    auto* spec = reinterpret_cast<std::complex<T>*>(buf);
    const std::complex<T>* k = khat + ((b % sets) * c + c0) * pitch;
    for (int64_t j = 0; j < width; ++j)
      for (int64_t f = 0; f < bins; ++f) spec[j * pitch + f] *= k[j * pitch + f];
    drop_hermitian_imag(spec, s.n, width, pitch);
    Fftw<T>::inverse(width == bl.width ? inv_full : inv_tail, buf);
    scatter_columns<T>(buf, 2 * pitch, rows, width, nullptr, y + b * rows * c + c0, c, stream);
  });
}

#define ATTN_FFT_INSTANTIATE(T)                                                                                   \
  template void prepare_fft<T>(const Context&, const FftShape&);                                                  \
  template void rfft_rows<T>(const Context&, const FftShape&, const T*, std::complex<T>*);                       \
  template void irfft_rows<T>(const Context&, const FftShape&, std::complex<T>*, T*);                            \
  template void rfft_bins<T>(const Context&, const FftShape&, const T*, const int64_t*, int64_t, std::complex<T>*); \
  template void irfft_bins<T>(const Context&, const FftShape&, const int64_t*, int64_t, const std::complex<T>*, T*, \
                              const T*);                                                                          \
  template void fft_convolve_rows<T>(const Context&, const FftShape&, int64_t, const std::complex<T>*, const T*, T*);
ATTN_FFT_INSTANTIATE(float)
ATTN_FFT_INSTANTIATE(double)
#undef ATTN_FFT_INSTANTIATE

}  // namespace attn::ops::cpu
