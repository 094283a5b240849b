// Direct sums as one GEMM per direction over all batch items, with a twiddle table shared by them
// (batch stride 0): table[m, t] = cos(theta_m t), table[count + m, t] = sin(theta_m t) for t < rows,
// and (inverse with a bias) a row of ones, so the bias rides in the same GEMM and x is written once:
//   forward  C[b] = table[0 : 2 count] (2 count x rows) . x[b] (rows x d);  out = C_cos - i C_sin
//   inverse  x[b] = table^T (rows x K) . Z[b] (K x d),  Z = [w Re Y; -w Im Y; bias], K = 2 count (+ 1)
// with w = 2, or 1 (imaginary part dropped) at the DC and Nyquist bins. Phases come from the exact
// integer residue (f t) mod n, evaluated in fp64 (sincospi) and rounded once to T, as on the CPU.
// The table is rebuilt in every call (the bins live on the device and may change between calls; it
// is 2 count x rows sincospi, microseconds), so nothing is cached across cases. Unlike the CPU there
// are no chunk rotations: cuBLAS accumulates the whole length in one GEMM.
#include <cuda_runtime.h>

#include <cmath>

#include "ops/cuda/common.cuh"
#include "ops/cuda/fft_direct.hpp"
#include "ops/cuda/gemm.hpp"
#include "ops/cuda/storage.cuh"
#include "ops/gemm.hpp"

namespace attn::ops::cuda {

namespace {

struct TableParams {
  long long count, rows, n, table_rows;  // table_rows = 2 count, plus a row of ones when > 2 count
};

template <class T>
__global__ void twiddle_kernel(TableParams p, const int64_t* bins, T* table) {
  ATTN_GRID_LOOP(e, p.table_rows * p.rows) {
    const long long t = e % p.rows, r = e / p.rows;
    if (r >= 2 * p.count) {
      table[e] = T(1);
      continue;
    }
    const long long f = bins[r % p.count];
    // An out-of-range bin gives NaN (the device never validates the list).
    const bool valid = f >= 0 && f <= p.n / 2;
    const long long residue = valid ? (f * t) % p.n : 0;
    double s = 0, c = 0;
    sincospi(2.0 * static_cast<double>(residue) / static_cast<double>(p.n), &s, &c);
    table[e] = valid ? static_cast<T>(r < p.count ? c : s) : T(nan(""));
  }
}

template <class T>
T* twiddles(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count, int64_t table_rows) {
  T* table = ctx.ws().get<T>("fft.direct_table", table_rows * s.real_rows());
  const TableParams p{count, s.real_rows(), s.n, table_rows};
  twiddle_kernel<T><<<grid_for(p.table_rows * p.rows), kBlockThreads, 0, stream_of(ctx)>>>(p, bins, table);
  ATTN_CUDA_CHECK(cudaGetLastError());
  return table;
}

// out[b, m, c] = C[b, m, c] - i C[b, count + m, c].
template <class T>
__global__ void combine_kernel(long long total, long long count, long long channels, const T* sums, DeviceComplex<T>* out) {
  ATTN_GRID_LOOP(e, total) {
    const long long c = e % channels, rest = e / channels, m = rest % count, b = rest / count;
    const T* sb = sums + b * 2 * count * channels;
    DeviceComplex<T> v;
    v.x = sb[m * channels + c];
    v.y = -sb[(count + m) * channels + c];
    out[e] = v;
  }
}

// Z[b] = [w Re Y; -w Im Y; bias] (K x channels), one thread per (b, row m < count (+ the bias row), c).
template <class T>
__global__ void operand_kernel(long long batch, long long count, long long channels, long long n, const int64_t* bins,
                               const DeviceComplex<T>* yhat, const T* bias, T* z) {
  const long long per = count + (bias ? 1 : 0), k = 2 * count + (bias ? 1 : 0);
  ATTN_GRID_LOOP(e, batch * per * channels) {
    const long long c = e % channels, rest = e / channels, m = rest % per, b = rest / per;
    T* zb = z + b * k * channels;
    if (m == count) {
      zb[2 * count * channels + c] = bias[b * channels + c];
      continue;
    }
    const long long f = bins[m];
    const bool real_bin = f == 0 || 2 * f == n;  // irfft ignores these imaginary parts
    const T w = real_bin ? T(1) : T(2);
    const DeviceComplex<T> y = yhat[(b * count + m) * channels + c];
    zb[m * channels + c] = w * y.x;
    zb[(count + m) * channels + c] = real_bin ? T(0) : -w * y.y;
  }
}

}  // namespace

template <class T>
void rfft_bins_direct(const Context& ctx, const FftShape& s, const T* x, const int64_t* bins, int64_t count,
                      std::complex<T>* out) {
  if (count == 0) return;
  const int64_t rows = s.real_rows(), d = s.channels, m2 = 2 * count;
  const T* table = twiddles<T>(ctx, s, bins, count, m2);
  T* sums = ctx.ws().get<T>("fft.direct_sums", s.batch * m2 * d);
  const GemmShape g = gemm_shape_pitched(Trans::no, Trans::no, m2, d, rows, s.batch, rows, 0, d, rows * d, d, m2 * d);
  cuda::gemm<T>(ctx, g, T(1), table, x, T(0), sums);
  const long long total = s.batch * count * d;
  combine_kernel<T><<<grid_for(total), kBlockThreads, 0, stream_of(ctx)>>>(total, count, d, sums,
                                                                           reinterpret_cast<DeviceComplex<T>*>(out));
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void irfft_bins_direct(const Context& ctx, const FftShape& s, const int64_t* bins, int64_t count,
                       const std::complex<T>* yhat, T* x, const T* bias) {
  const int64_t rows = s.real_rows(), d = s.channels, k = 2 * count + (bias ? 1 : 0);
  if (k == 0) {  // no bins, no bias: the output is zero
    ATTN_CUDA_CHECK(cudaMemsetAsync(x, 0, static_cast<std::size_t>(s.batch * rows * d) * sizeof(T), stream_of(ctx)));
    return;
  }
  const T* table = twiddles<T>(ctx, s, bins, count, k);
  T* z = ctx.ws().get<T>("fft.direct_sums", s.batch * k * d);
  const long long items = s.batch * (count + (bias ? 1 : 0)) * d;
  operand_kernel<T><<<grid_for(items), kBlockThreads, 0, stream_of(ctx)>>>(
      s.batch, count, d, s.n, bins, reinterpret_cast<const DeviceComplex<T>*>(yhat), bias, z);
  ATTN_CUDA_CHECK(cudaGetLastError());
  const GemmShape g = gemm_shape_pitched(Trans::yes, Trans::no, rows, d, k, s.batch, rows, 0, d, k * d, d, rows * d);
  cuda::gemm<T>(ctx, g, T(1), table, z, T(0), x);
}

template void rfft_bins_direct<float>(const Context&, const FftShape&, const float*, const int64_t*, int64_t,
                                      std::complex<float>*);
template void rfft_bins_direct<double>(const Context&, const FftShape&, const double*, const int64_t*, int64_t,
                                       std::complex<double>*);
template void irfft_bins_direct<float>(const Context&, const FftShape&, const int64_t*, int64_t,
                                       const std::complex<float>*, float*, const float*);
template void irfft_bins_direct<double>(const Context&, const FftShape&, const int64_t*, int64_t,
                                        const std::complex<double>*, double*, const double*);

}  // namespace attn::ops::cuda
