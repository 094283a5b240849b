// cuFFT real transforms on the CPU's channel-major spectrum layout ([batch, channels, pitch] complex,
// ops/fft.hpp). A column (b, c) of [batch, rows, channels] sits at b rows channels + c: two strides,
// which one batched cuFFT plan cannot express, and rows < n needs zero padding anyway. So, as on the
// CPU, every transform runs in place on contiguous rows: a tiled transpose (32 x 32 through shared
// memory, coalesced on both sides) writes column (b, c) as the first n reals of row b channels + c of
// a spectrum buffer (2 pitch reals per row; zeros from `rows` to n), one R2C plan over all batch x
// channels rows transforms it in place (idist = 2 pitch reals, odist = pitch complex: cuFFT's padded
// in-place layout), and the inverse runs C2R in place and transposes the first `rows` reals of each
// row back, adding the bias. rfft_rows / irfft_rows work in the caller's spectrum; the bin ops and
// the convolution in the "fft.spectrum" scratch, with small kernels for the bin gather / scatter and
// the pointwise product (one output write each). A few bins (the CPU's rule, cpu::prefer_direct_bins)
// go to the direct sums of ops/cuda/fft_direct.cu instead: one read of x or one write of the output,
// against about eight passes of transposes, FFTs and spectrum traffic.
//
// Plans: one per (device, precision, direction, n, pitch, transforms), made once per process by
// prepare_fft (or the first call) and kept for the process, like the CPU's FFTW plans (not destroyed
// at exit, when the CUDA context may already be gone). They are made without auto-allocation: each
// execution binds the context's stream and a work area from the case's workspace ("fft.cufft_work"),
// so the memory is tracked and one plan serves every context; binding and enqueueing happen under
// the cache's mutex, because a plan's stream and work area are state of the plan.
#include <cuda_runtime.h>
#include <cufft.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "ops/cpu/fft_direct.hpp"
#include "ops/cuda/common.cuh"
#include "ops/cuda/fft.hpp"
#include "ops/cuda/fft_direct.hpp"

namespace attn::ops::cuda {

namespace {

[[noreturn]] void throw_cufft_error(cufftResult r, const char* expr, const char* file, int line) {
  const std::string msg = "cuFFT error " + std::to_string(static_cast<int>(r)) + " in " + expr + " (" + file + ":" +
                          std::to_string(line) + ")";
  if (r == CUFFT_ALLOC_FAILED) throw OutOfMemoryError(msg);
  throw CaseError(msg);
}

#define ATTN_CUFFT_CHECK(expr)                                                             \
  do {                                                                                     \
    const cufftResult attn_fft_r_ = (expr);                                                \
    if (attn_fft_r_ != CUFFT_SUCCESS) throw_cufft_error(attn_fft_r_, #expr, __FILE__, __LINE__); \
  } while (0)

template <class T>
struct Fft;

template <>
struct Fft<float> {
  using Complex = cufftComplex;  // float2
  static cufftType type(bool inverse) { return inverse ? CUFFT_C2R : CUFFT_R2C; }
  static cufftResult forward(cufftHandle p, float* buf) {
    return cufftExecR2C(p, buf, reinterpret_cast<Complex*>(buf));
  }
  static cufftResult inverse(cufftHandle p, float* buf) {
    return cufftExecC2R(p, reinterpret_cast<Complex*>(buf), buf);
  }
};

template <>
struct Fft<double> {
  using Complex = cufftDoubleComplex;  // double2
  static cufftType type(bool inverse) { return inverse ? CUFFT_Z2D : CUFFT_D2Z; }
  static cufftResult forward(cufftHandle p, double* buf) {
    return cufftExecD2Z(p, buf, reinterpret_cast<Complex*>(buf));
  }
  static cufftResult inverse(cufftHandle p, double* buf) {
    return cufftExecZ2D(p, reinterpret_cast<Complex*>(buf), buf);
  }
};

template <class T>
using Cx = typename Fft<T>::Complex;

struct Plan {
  cufftHandle handle = 0;
  std::size_t work_bytes = 0;
};

// (device, double, inverse, n, pitch, transforms)
using PlanKey = std::tuple<int, bool, bool, long long, long long, long long>;

std::mutex& plan_mutex() {
  static std::mutex m;
  return m;
}

std::map<PlanKey, Plan>& plan_cache() {
  static std::map<PlanKey, Plan> cache;  // handles live as long as the process
  return cache;
}

// The in-place plan over all batch x channels rows of a spectrum buffer. Caller holds plan_mutex().
Plan plan_locked(bool is_double, bool inverse, const FftShape& s) {
  int device = 0;
  ATTN_CUDA_CHECK(cudaGetDevice(&device));
  const long long n = s.n, pitch = s.pitch(), transforms = s.batch * s.channels;
  const PlanKey key{device, is_double, inverse, n, pitch, transforms};
  auto& cache = plan_cache();
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  cufftHandle h = 0;
  ATTN_CUFFT_CHECK(cufftCreate(&h));
  long long len[1] = {n}, real_embed[1] = {2 * pitch}, complex_embed[1] = {pitch};
  const cufftType type = is_double ? Fft<double>::type(inverse) : Fft<float>::type(inverse);
  std::size_t work = 0;
  cufftResult r = cufftSetAutoAllocation(h, 0);
  if (r == CUFFT_SUCCESS)
    r = inverse ? cufftMakePlanMany64(h, 1, len, complex_embed, 1, pitch, real_embed, 1, 2 * pitch, type, transforms,
                                      &work)
                : cufftMakePlanMany64(h, 1, len, real_embed, 1, 2 * pitch, complex_embed, 1, pitch, type, transforms,
                                      &work);
  if (r != CUFFT_SUCCESS) {
    cufftDestroy(h);
    ATTN_CUFFT_CHECK(r);
  }
  cache.emplace(key, Plan{h, work});
  return Plan{h, work};
}

// In-place transform of every row of `buf` (2 pitch reals / pitch complex per row) on ctx's stream.
template <class T>
void transform(const Context& ctx, const FftShape& s, bool inverse, T* buf) {
  ATTN_CHECK(ctx.workspace != nullptr, "cuda fft: the context needs a workspace (cuFFT's work area)");
  std::lock_guard<std::mutex> lock(plan_mutex());
  const Plan p = plan_locked(sizeof(T) == 8, inverse, s);
  ATTN_CUFFT_CHECK(cufftSetStream(p.handle, stream_of(ctx)));
  if (p.work_bytes > 0)
    ATTN_CUFFT_CHECK(cufftSetWorkArea(p.handle, ctx.ws().get_bytes("fft.cufft_work", p.work_bytes)));
  ATTN_CUFFT_CHECK(inverse ? Fft<T>::inverse(p.handle, buf) : Fft<T>::forward(p.handle, buf));
}

constexpr int kTile = 32, kTileRows = 8;

struct ColumnParams {
  long long batch, rows, channels, len, ld;  // len: reals written per column (to_columns); ld: row pitch in reals
};

// cols[(b channels + c) ld + t] = t < rows ? x[(b rows + t) channels + c] : 0, for t < len.
template <class T>
__global__ void to_columns_kernel(ColumnParams p, const T* x, T* cols) {
  __shared__ T tile[kTile][kTile + 1];
  const long long t0 = static_cast<long long>(blockIdx.x) * kTile, c0 = static_cast<long long>(blockIdx.y) * kTile;
  for (long long b = blockIdx.z; b < p.batch; b += gridDim.z) {
    for (int i = threadIdx.y; i < kTile; i += kTileRows) {  // read along channels
      const long long t = t0 + i, c = c0 + threadIdx.x;
      tile[i][threadIdx.x] = (t < p.rows && c < p.channels) ? x[(b * p.rows + t) * p.channels + c] : T(0);
    }
    __syncthreads();
    for (int i = threadIdx.y; i < kTile; i += kTileRows) {  // write along t
      const long long c = c0 + i, t = t0 + threadIdx.x;
      if (c < p.channels && t < p.len) cols[(b * p.channels + c) * p.ld + t] = tile[threadIdx.x][i];
    }
    __syncthreads();
  }
}

// x[(b rows + t) channels + c] = cols[(b channels + c) ld + t] (+ bias[b channels + c]), t < rows.
template <class T>
__global__ void from_columns_kernel(ColumnParams p, const T* cols, const T* bias, T* x) {
  __shared__ T tile[kTile][kTile + 1];
  const long long t0 = static_cast<long long>(blockIdx.x) * kTile, c0 = static_cast<long long>(blockIdx.y) * kTile;
  for (long long b = blockIdx.z; b < p.batch; b += gridDim.z) {
    for (int i = threadIdx.y; i < kTile; i += kTileRows) {  // read along t
      const long long c = c0 + i, t = t0 + threadIdx.x;
      if (c < p.channels && t < p.rows) tile[i][threadIdx.x] = cols[(b * p.channels + c) * p.ld + t];
    }
    __syncthreads();
    for (int i = threadIdx.y; i < kTile; i += kTileRows) {  // write along channels
      const long long t = t0 + i, c = c0 + threadIdx.x;
      if (t < p.rows && c < p.channels)
        x[(b * p.rows + t) * p.channels + c] = tile[threadIdx.x][i] + (bias ? bias[b * p.channels + c] : T(0));
    }
    __syncthreads();
  }
}

dim3 column_grid(const ColumnParams& p, long long extent) {
  ATTN_CHECK((p.channels + kTile - 1) / kTile <= 65535, "cuda fft: too many channels for the transpose grid");
  return dim3(static_cast<unsigned>((extent + kTile - 1) / kTile),
              static_cast<unsigned>((p.channels + kTile - 1) / kTile),
              static_cast<unsigned>(std::min<long long>(p.batch, 65535)));
}

// Column (b, c) of x, zero-padded to n, into row b channels + c of the spectrum buffer (as reals).
template <class T>
void load_columns(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* spectrum) {
  const ColumnParams p{s.batch, s.real_rows(), s.channels, s.n, 2 * s.pitch()};
  to_columns_kernel<T><<<column_grid(p, p.len), dim3(kTile, kTileRows), 0, stream_of(ctx)>>>(
      p, x, reinterpret_cast<T*>(spectrum));
  ATTN_CUDA_CHECK(cudaGetLastError());
}

// The first `rows` reals of each row of the spectrum buffer back into x's columns, plus the bias.
template <class T>
void store_columns(const Context& ctx, const FftShape& s, const std::complex<T>* spectrum, const T* bias, T* x) {
  const ColumnParams p{s.batch, s.real_rows(), s.channels, s.real_rows(), 2 * s.pitch()};
  from_columns_kernel<T><<<column_grid(p, p.rows), dim3(kTile, kTileRows), 0, stream_of(ctx)>>>(
      p, reinterpret_cast<const T*>(spectrum), bias, x);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

// numpy's irfft ignores the imaginary parts of the DC and (n even) Nyquist bins; cuFFT's C2R need not.
template <class T>
__global__ void drop_hermitian_imag_kernel(long long columns, long long pitch, long long n, Cx<T>* spec) {
  ATTN_GRID_LOOP(col, columns) {
    spec[col * pitch].y = T(0);
    if (n % 2 == 0) spec[col * pitch + n / 2].y = T(0);
  }
}

struct BinParams {
  long long total, channels, count, pitch, n;  // total = batch count channels
};

// out[b, m, c] = spec[b, c, bins[m]]; an out-of-range bin (never validated on the device) gives NaN.
template <class T>
__global__ void gather_bins_kernel(BinParams p, const int64_t* bins, const Cx<T>* spec, Cx<T>* out) {
  ATTN_GRID_LOOP(e, p.total) {
    const long long c = e % p.channels, rest = e / p.channels, m = rest % p.count, b = rest / p.count;
    const long long f = bins[m];
    Cx<T> v;
    if (f >= 0 && f <= p.n / 2) {
      v = spec[(b * p.channels + c) * p.pitch + f];
    } else {
      v.x = v.y = T(nan(""));
    }
    out[e] = v;
  }
}

// spec[b, c, bins[m]] = yhat[b, m, c] (the spectrum zeroed before; bins distinct, so no write races),
// the imaginary part dropped at the DC and Nyquist bins; an out-of-range bin is skipped.
template <class T>
__global__ void scatter_bins_kernel(BinParams p, const int64_t* bins, const Cx<T>* yhat, Cx<T>* spec) {
  ATTN_GRID_LOOP(e, p.total) {
    const long long c = e % p.channels, rest = e / p.channels, m = rest % p.count, b = rest / p.count;
    const long long f = bins[m];
    if (f < 0 || f > p.n / 2) continue;
    Cx<T> v = yhat[e];
    if (f == 0 || 2 * f == p.n) v.y = T(0);
    spec[(b * p.channels + c) * p.pitch + f] = v;
  }
}

// spec[b, c, f] *= khat[b % sets, c, f] for f < bins, then the DC / Nyquist imaginary parts dropped.
template <class T>
__global__ void multiply_kernel(long long total, long long bins, long long channels, long long sets, long long pitch,
                                long long n, const Cx<T>* khat, Cx<T>* spec) {
  ATTN_GRID_LOOP(e, total) {
    const long long f = e % bins, col = e / bins, b = col / channels, c = col % channels;
    const Cx<T> z = spec[col * pitch + f], k = khat[((b % sets) * channels + c) * pitch + f];
    Cx<T> r;
    r.x = z.x * k.x - z.y * k.y;
    r.y = (f == 0 || 2 * f == n) ? T(0) : z.x * k.y + z.y * k.x;
    spec[col * pitch + f] = r;
  }
}

template <class T>
Cx<T>* as_cx(std::complex<T>* p) {
  return reinterpret_cast<Cx<T>*>(p);
}
template <class T>
const Cx<T>* as_cx(const std::complex<T>* p) {
  return reinterpret_cast<const Cx<T>*>(p);
}

template <class T>
std::complex<T>* spectrum_scratch(const Context& ctx, const FftShape& s) {
  return ctx.ws().get<std::complex<T>>("fft.spectrum", s.batch * s.channels * s.pitch());
}

}  // namespace

template <class T>
void prepare_fft(const Context&, const FftShape& s) {
  std::lock_guard<std::mutex> lock(plan_mutex());
  for (bool inverse : {false, true}) plan_locked(sizeof(T) == 8, inverse, s);
}

std::size_t fft_work_area_bytes(const FftShape& s, bool is_double) {
  if (!cuda_available()) return 0;
  std::lock_guard<std::mutex> lock(plan_mutex());
  return std::max(plan_locked(is_double, false, s).work_bytes, plan_locked(is_double, true, s).work_bytes);
}

template <class T>
void rfft_rows(const Context& ctx, const FftShape& s, const T* x, std::complex<T>* xhat) {
  load_columns(ctx, s, x, xhat);
  transform(ctx, s, false, reinterpret_cast<T*>(xhat));
}

template <class T>
void irfft_rows(const Context& ctx, const FftShape& s, std::complex<T>* xhat, T* x) {
  const long long columns = s.batch * s.channels;
  drop_hermitian_imag_kernel<T><<<grid_for(columns), kBlockThreads, 0, stream_of(ctx)>>>(columns, s.pitch(), s.n,
                                                                                         as_cx(xhat));
  ATTN_CUDA_CHECK(cudaGetLastError());
  transform(ctx, s, true, reinterpret_cast<T*>(xhat));
  store_columns<T>(ctx, s, xhat, nullptr, x);
}

template <class T>
void rfft_bins(const Context& ctx, const FftShape& s, const T* x, const int64_t* bins, int64_t count,
               std::complex<T>* out) {
  if (cpu::prefer_direct_bins(s, count)) return rfft_bins_direct(ctx, s, x, bins, count, out);
  std::complex<T>* spec = spectrum_scratch<T>(ctx, s);
  load_columns(ctx, s, x, spec);
  transform(ctx, s, false, reinterpret_cast<T*>(spec));
  const BinParams p{s.batch * count * s.channels, s.channels, count, s.pitch(), s.n};
  gather_bins_kernel<T><<<grid_for(p.total), kBlockThreads, 0, stream_of(ctx)>>>(p, bins, as_cx(spec), as_cx(out));
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void irfft_bins(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count,
                const std::complex<T>* yhat, T* x, const T* bias) {
  if (cpu::prefer_direct_bins(s, count)) return irfft_bins_direct(ctx, s, bins, count, yhat, x, bias);
  std::complex<T>* spec = spectrum_scratch<T>(ctx, s);
  const std::size_t bytes = static_cast<std::size_t>(s.batch * s.channels * s.pitch()) * sizeof(std::complex<T>);
  ATTN_CUDA_CHECK(cudaMemsetAsync(spec, 0, bytes, stream_of(ctx)));
  {  // count > 0 here: no bins take the direct path
    const BinParams p{s.batch * count * s.channels, s.channels, count, s.pitch(), s.n};
    scatter_bins_kernel<T><<<grid_for(p.total), kBlockThreads, 0, stream_of(ctx)>>>(p, bins, as_cx(yhat), as_cx(spec));
    ATTN_CUDA_CHECK(cudaGetLastError());
  }
  transform(ctx, s, true, reinterpret_cast<T*>(spec));
  store_columns<T>(ctx, s, spec, bias, x);
}

template <class T>
void fft_convolve_rows(const Context& ctx, const FftShape& s, int64_t sets, const std::complex<T>* khat, const T* x,
                       T* y) {
  std::complex<T>* spec = spectrum_scratch<T>(ctx, s);
  load_columns(ctx, s, x, spec);
  transform(ctx, s, false, reinterpret_cast<T*>(spec));
  const long long total = s.batch * s.channels * s.bins();
  multiply_kernel<T><<<grid_for(total), kBlockThreads, 0, stream_of(ctx)>>>(total, s.bins(), s.channels, sets,
                                                                            s.pitch(), s.n, as_cx(khat), as_cx(spec));
  ATTN_CUDA_CHECK(cudaGetLastError());
  transform(ctx, s, true, reinterpret_cast<T*>(spec));
  store_columns<T>(ctx, s, spec, nullptr, y);
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

}  // namespace attn::ops::cuda
