// The S4D kernel: one thread per (set, chunk of kSteps positions, channel), channels fastest so the
// output writes are coalesced. For each mode it starts from the exact ct e^{l0 log_z} (fp64 exp and
// sincos) and walks the chunk by repeated multiplication with e^{log_z}, accumulating the kSteps
// partial sums in registers; so at most kSteps - 1 fp64 rounding steps separate any power from an
// exact one (the CPU restarts every 1024: both are ~1e-13 relative, far below fp32). Sums over
// modes run in mode order, in fp64, as on the CPU; the lag-0 tap is added after the rounding to T,
// as on the CPU.
#include <cuda_runtime.h>

#include "ops/cuda/common.cuh"
#include "ops/cuda/ssm.hpp"

namespace attn::ops::cuda {

namespace {

constexpr int kSteps = 32;

struct SsmParams {
  long long sets, n, channels, modes, chunks;
};

__device__ __forceinline__ double2 cmul(double2 a, double2 b) {
  return make_double2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

__device__ __forceinline__ double2 complex_exp(double re, double im) {
  double s = 0, c = 0;
  sincos(im, &s, &c);
  const double mag = exp(re);
  return make_double2(mag * c, mag * s);
}

template <class T>
__global__ void ssm_kernel_kernel(SsmParams p, const double2* log_z, const double2* ct, T* kernel, const T* lag0) {
  ATTN_GRID_LOOP(e, p.sets * p.chunks * p.channels) {
    const long long c = e % p.channels, rest = e / p.channels, chunk = rest % p.chunks, g = rest / p.chunks;
    const long long l0 = chunk * kSteps, pair = g * p.channels + c;
    double acc[kSteps];
#pragma unroll
    for (int j = 0; j < kSteps; ++j) acc[j] = 0.0;
    for (long long m = 0; m < p.modes; ++m) {
      const double2 lz = log_z[pair * p.modes + m];
      const double2 z = complex_exp(lz.x, lz.y);
      double2 t = cmul(ct[pair * p.modes + m], complex_exp(double(l0) * lz.x, double(l0) * lz.y));
#pragma unroll
      for (int j = 0; j < kSteps; ++j) {
        acc[j] += t.x;
        t = cmul(t, z);
      }
    }
#pragma unroll
    for (int j = 0; j < kSteps; ++j) {
      const long long l = l0 + j;
      if (l < p.n) {
        T v = static_cast<T>(2.0 * acc[j]);
        if (l == 0 && lag0 != nullptr) v += lag0[pair];
        kernel[(g * p.n + l) * p.channels + c] = v;
      }
    }
  }
}

}  // namespace

template <class T>
void ssm_kernel(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                const std::complex<double>* ct, T* kernel, const T* lag0) {
  const SsmParams p{s.sets, s.n, s.channels, s.modes, (s.n + kSteps - 1) / kSteps};
  ssm_kernel_kernel<T><<<grid_for(p.sets * p.chunks * p.channels), kBlockThreads, 0, stream_of(ctx)>>>(
      p, reinterpret_cast<const double2*>(log_z), reinterpret_cast<const double2*>(ct), kernel, lag0);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

template void ssm_kernel<float>(const Context&, const SsmShape&, const std::complex<double>*,
                                const std::complex<double>*, float*, const float*);
template void ssm_kernel<double>(const Context&, const SsmShape&, const std::complex<double>*,
                                 const std::complex<double>*, double*, const double*);

}  // namespace attn::ops::cuda
