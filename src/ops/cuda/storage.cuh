// Element access for kernels templated on a storage type S with arithmetic in A: fp32 and fp64 are
// their own arithmetic; fp16 (__half) and bf16 (__nv_bfloat16) are loaded to fp32 and rounded back
// to nearest-even on store, as frameworks' half-precision element-wise kernels do. CUDA-only.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "core/half.hpp"

namespace attn::ops::cuda {

// Half and BFloat16 (core/half.hpp) are the bit patterns of __half and __nv_bfloat16.
static_assert(sizeof(Half) == sizeof(__half) && sizeof(BFloat16) == sizeof(__nv_bfloat16));

__device__ __forceinline__ float load(const __half& x) { return __half2float(x); }
__device__ __forceinline__ float load(const __nv_bfloat16& x) { return __bfloat162float(x); }
__device__ __forceinline__ float load(const float& x) { return x; }
__device__ __forceinline__ double load(const double& x) { return x; }
__device__ __forceinline__ void put(__half& out, float x) { out = __float2half_rn(x); }
__device__ __forceinline__ void put(__nv_bfloat16& out, float x) { out = __float2bfloat16_rn(x); }
__device__ __forceinline__ void put(float& out, float x) { out = x; }
__device__ __forceinline__ void put(double& out, double x) { out = x; }

// The CUDA storage type of an attn 16-bit type (and the identity for fp32 / fp64).
template <class T>
struct DeviceStorage {
  using type = T;
};
template <>
struct DeviceStorage<Half> {
  using type = __half;
};
template <>
struct DeviceStorage<BFloat16> {
  using type = __nv_bfloat16;
};

// The CUDA vector type of a std::complex<T> element (same layout: real, then imaginary).
template <class T>
struct ComplexStorage;
template <>
struct ComplexStorage<float> {
  using type = float2;
};
template <>
struct ComplexStorage<double> {
  using type = double2;
};
template <class T>
using DeviceComplex = typename ComplexStorage<T>::type;

template <class T>
auto* device_ptr(T* p) {
  return reinterpret_cast<typename DeviceStorage<T>::type*>(p);
}
template <class T>
const auto* device_ptr(const T* p) {
  return reinterpret_cast<const typename DeviceStorage<T>::type*>(p);
}

}  // namespace attn::ops::cuda
