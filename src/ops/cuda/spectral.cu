// Mode mixing is one cuBLAS strided-batched complex GEMM over all (weight set, mode) pairs: pair
// u = set g x modes + mode m takes the rows b = g, g + sets, ... of mode m (a strided matrix with row
// pitch sets x modes x cin, starting at x + u cin) times w[u] (cin x cout, at u cin cout), so the
// batch strides are cin, cin cout and cout and no gather is needed (the CPU runs the same products
// one by one). Row-major through column-major cuBLAS as in ops/cuda/gemm.cu: C^T = op(B)^T op(A)^T,
// B passed first; Trans::yes is CUBLAS_OP_T (a plain transpose, as the header asks).
// complex tanh is glibc's ctanh formula (what std::tanh of a std::complex calls on the CPU), so both
// devices round the same expression; the row softmax of |z| is one warp per row.
#include <cublas_v2.h>
#include <cuComplex.h>
#include <cuda_runtime.h>

#include "core/cuda/cuda_check.cuh"
#include "core/cuda_session.hpp"
#include "core/error.hpp"
#include "ops/cuda/blas_handle.cuh"
#include "ops/cuda/common.cuh"
#include "ops/cuda/spectral.hpp"
#include "ops/cuda/storage.cuh"

namespace attn::ops::cuda {

namespace {

// Column-major strided-batched complex GEMM (the caller has already swapped the operands).
cublasStatus_t cgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, long long m, long long n,
                     long long k, std::complex<float> alpha, const std::complex<float>* a, long long lda,
                     long long stride_a, const std::complex<float>* b, long long ldb, long long stride_b,
                     std::complex<float> beta, std::complex<float>* c, long long ldc, long long stride_c,
                     long long batch) {
  const cuComplex al = make_cuComplex(alpha.real(), alpha.imag()), be = make_cuComplex(beta.real(), beta.imag());
  return cublasCgemmStridedBatched(h, ta, tb, int(m), int(n), int(k), &al, reinterpret_cast<const cuComplex*>(a),
                                   int(lda), stride_a, reinterpret_cast<const cuComplex*>(b), int(ldb), stride_b, &be,
                                   reinterpret_cast<cuComplex*>(c), int(ldc), stride_c, int(batch));
}

cublasStatus_t cgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, long long m, long long n,
                     long long k, std::complex<double> alpha, const std::complex<double>* a, long long lda,
                     long long stride_a, const std::complex<double>* b, long long ldb, long long stride_b,
                     std::complex<double> beta, std::complex<double>* c, long long ldc, long long stride_c,
                     long long batch) {
  const cuDoubleComplex al = make_cuDoubleComplex(alpha.real(), alpha.imag()),
                        be = make_cuDoubleComplex(beta.real(), beta.imag());
  return cublasZgemmStridedBatched(h, ta, tb, int(m), int(n), int(k), &al,
                                   reinterpret_cast<const cuDoubleComplex*>(a), int(lda), stride_a,
                                   reinterpret_cast<const cuDoubleComplex*>(b), int(ldb), stride_b, &be,
                                   reinterpret_cast<cuDoubleComplex*>(c), int(ldc), stride_c, int(batch));
}

// Overflow threshold of glibc's ctanh: (max exponent - 1) ln 2 / 2, beyond which sinh^2 overflows.
template <class T>
__device__ __forceinline__ T tanh_threshold();
template <>
__device__ __forceinline__ float tanh_threshold<float>() {
  return 44.0f;  // (int)(127 ln 2 / 2)
}
template <>
__device__ __forceinline__ double tanh_threshold<double>() {
  return 354.0;  // (int)(1023 ln 2 / 2)
}
template <class T>
__device__ __forceinline__ T tiny();
template <>
__device__ __forceinline__ float tiny<float>() {
  return 1.17549435e-38f;  // FLT_MIN
}
template <>
__device__ __forceinline__ double tiny<double>() {
  return 2.2250738585072014e-308;  // DBL_MIN
}
template <class T>
__device__ __forceinline__ T epsilon();
template <>
__device__ __forceinline__ float epsilon<float>() {
  return 1.1920929e-07f;
}
template <>
__device__ __forceinline__ double epsilon<double>() {
  return 2.220446049250313e-16;
}

// tanh(x + iy) = (sinh x cosh x + i sin y cos y) / (sinh^2 x + cos^2 y) for finite z (glibc's
// __ctanh); for |x| beyond the threshold the real part is sign(x) and the imaginary part
// 4 sin y cos y e^{-2|x|}, divided in two steps so e^{2|x|} never overflows.
template <class T>
__device__ DeviceComplex<T> complex_tanh(DeviceComplex<T> z) {
  T siny = z.y, cosy = T(1);
  if (fabs(z.y) > tiny<T>()) sincos(z.y, &siny, &cosy);
  DeviceComplex<T> r;
  const T t = tanh_threshold<T>();
  if (fabs(z.x) > t) {
    const T exp_2t = exp(T(2) * t);
    r.x = copysign(T(1), z.x);
    r.y = T(4) * siny * cosy / exp_2t;
    const T rest = fabs(z.x) - t;
    r.y /= rest > t ? exp_2t : exp(T(2) * rest);
    return r;
  }
  T sinhx = z.x, coshx = T(1);
  if (fabs(z.x) > tiny<T>()) {
    sinhx = sinh(z.x);
    coshx = cosh(z.x);
  }
  const T den = fabs(sinhx) > fabs(cosy) * epsilon<T>() ? sinhx * sinhx + cosy * cosy : cosy * cosy;
  r.x = sinhx * coshx / den;
  r.y = siny * cosy / den;
  return r;
}

template <class T>
__global__ void tanh_kernel(long long total, DeviceComplex<T>* x) {
  ATTN_GRID_LOOP(i, total) x[i] = complex_tanh<T>(x[i]);
}

// One warp per row: max |z|, e = exp(|z| - max) written as (e, 0) and summed, then divided by the sum.
template <class T>
__global__ void softmax_abs_kernel(long long rows, long long cols, DeviceComplex<T>* x) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, rows) {
    DeviceComplex<T>* row = x + r * cols;
    T mx = T(0);  // |z| >= 0, so 0 is a valid lower bound for the max
    for (long long c = lane; c < cols; c += 32) mx = fmax(mx, hypot(row[c].x, row[c].y));
    mx = warp_max(mx);
    T sum = T(0);
    for (long long c = lane; c < cols; c += 32) {
      const T e = exp_t(hypot(row[c].x, row[c].y) - mx);
      row[c].x = e;
      row[c].y = T(0);
      sum += e;
    }
    sum = warp_sum(sum);
    for (long long c = lane; c < cols; c += 32) row[c].x /= sum;
  }
}

}  // namespace

template <class T>
void spectral_mix(const Context& ctx, const SpectralMixShape& s, const std::complex<T>* x, const std::complex<T>* w,
                  std::complex<T>* y) {
  if (s.modes == 0) return;
  const long long sets = s.weight_sets, items = s.batch / sets, cin = s.channels_in, cout = s.channels_out;
  const long long pairs = sets * s.modes;
  // Row-major y_u (items x cout) = x_u (items x cin) w_u (cin x cout): column-major y^T = w^T x^T.
  cublasHandle_t handle = bound_blas_handle(ctx, "complex gemm");
  ATTN_CUBLAS_CHECK(cgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, cout, items, cin, std::complex<T>(1), w, cout,
                          cin * cout, x, pairs * cin, cin, std::complex<T>(0), y, pairs * cout, cout, pairs));
}

template <class T>
void complex_gemm(const Context& ctx, const GemmShape& s, std::complex<T> alpha, const std::complex<T>* a,
                  const std::complex<T>* b, std::complex<T> beta, std::complex<T>* c) {
  cublasHandle_t handle = bound_blas_handle(ctx, "complex gemm");
  ATTN_CUBLAS_CHECK(cgemm(handle, to_cublas(s.trans_b), to_cublas(s.trans_a), s.n, s.m, s.k, alpha, b,
                          s.ldb, s.stride_b, a, s.lda, s.stride_a, beta, c, s.ldc, s.stride_c, s.batch));
}

template <class T>
void complex_activation(const Context& ctx, ComplexActivation act, int64_t batch, int64_t rows, int64_t cols,
                        std::complex<T>* x) {
  const long long total_rows = batch * rows;
  if (total_rows == 0) return;
  auto* z = reinterpret_cast<DeviceComplex<T>*>(x);
  if (act == ComplexActivation::tanh) {
    tanh_kernel<T><<<grid_for(total_rows * cols), kBlockThreads, 0, stream_of(ctx)>>>(total_rows * cols, z);
  } else {
    softmax_abs_kernel<T><<<grid_for(total_rows * 32), kBlockThreads, 0, stream_of(ctx)>>>(total_rows, cols, z);
  }
  ATTN_CUDA_CHECK(cudaGetLastError());
}

#define ATTN_SPECTRAL_INSTANTIATE(T)                                                                              \
  template void spectral_mix<T>(const Context&, const SpectralMixShape&, const std::complex<T>*,                  \
                                const std::complex<T>*, std::complex<T>*);                                        \
  template void complex_gemm<T>(const Context&, const GemmShape&, std::complex<T>, const std::complex<T>*,        \
                                const std::complex<T>*, std::complex<T>, std::complex<T>*);                       \
  template void complex_activation<T>(const Context&, ComplexActivation, int64_t, int64_t, int64_t, std::complex<T>*);
ATTN_SPECTRAL_INSTANTIATE(float)
ATTN_SPECTRAL_INSTANTIATE(double)
#undef ATTN_SPECTRAL_INSTANTIATE

}  // namespace attn::ops::cuda
