// Row softmax on the GPU: one block per row (rows are long, up to tens of thousands of columns), a
// strided pass for the max, one for the sum, one to write. Reductions go through warp shuffles and
// one shared-memory slot per warp. fp16/bf16 rows are read and written in their storage type and
// reduced in fp32, as frameworks' half-precision softmax does.
#include <cuda_runtime.h>

#include <climits>

#include "core/cuda/cuda_check.cuh"
#include "core/error.hpp"
#include "ops/cuda/softmax.hpp"
#include "ops/cuda/storage.cuh"

namespace attn::ops::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

// Plain parameters of one launch (validated on the host before the launch).
struct SoftmaxParams {
  long long rows, cols;   // per batch
  long long ld, stride;   // row pitch, batch pitch (elements)
  bool causal;
  long long causal_offset;  // column c is allowed in row r when c <= r + causal_offset
};

template <class T>
__device__ T neg_inf();
template <>
__device__ float neg_inf<float>() { return __int_as_float(0xff800000); }
template <>
__device__ double neg_inf<double>() { return __longlong_as_double(0xfff0000000000000ULL); }

// Full-precision expf, not __expf: the CPU-vs-GPU test compares to ~1e-7 normalized MSE.
__device__ float exp_t(float x) { return expf(x); }
__device__ double exp_t(double x) { return exp(x); }

// Storage element S (load / put: ops/cuda/storage.cuh), arithmetic in T (S itself for fp32/fp64, fp32
// for the 16-bit types).

// Block-wide reduction; every thread gets the result. `shared` holds one slot per warp.
template <class T, bool kMax>
__device__ T block_reduce(T v, T* shared) {
  for (int off = 16; off > 0; off >>= 1) {
    const T o = __shfl_xor_sync(0xffffffffu, v, off);
    v = kMax ? (o > v ? o : v) : v + o;
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // the slots may still be read from the previous reduction
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = shared[0];
  for (int w = 1; w < kWarps; ++w) v = kMax ? (shared[w] > v ? shared[w] : v) : v + shared[w];
  return v;
}

template <class S, class T>
__global__ void softmax_rows_kernel(SoftmaxParams p, T scale, S* x) {
  __shared__ T shared[kWarps];
  const long long row_id = blockIdx.x;
  const long long b = row_id / p.rows, r = row_id % p.rows;
  S* row = x + b * p.stride + r * p.ld;
  // Allowed columns are a prefix [0, limit).
  long long limit = p.cols;
  if (p.causal) {
    const long long last = r + p.causal_offset;
    limit = last < 0 ? 0 : (last + 1 < p.cols ? last + 1 : p.cols);
  }
  T m = neg_inf<T>();
  for (long long c = threadIdx.x; c < limit; c += blockDim.x) {
    const T v = scale * load(row[c]);
    m = v > m ? v : m;
  }
  m = block_reduce<T, true>(m, shared);
  T sum = 0;
  for (long long c = threadIdx.x; c < limit; c += blockDim.x) sum += exp_t(scale * load(row[c]) - m);
  sum = block_reduce<T, false>(sum, shared);
  const T inv = limit > 0 && sum > T(0) ? T(1) / sum : T(0);
  for (long long c = threadIdx.x; c < p.cols; c += blockDim.x) {
    put(row[c], c < limit ? exp_t(scale * load(row[c]) - m) * inv : T(0));
  }
}

template <class S, class T>
void launch_softmax_rows(const Context& ctx, const SoftmaxShape& s, T scale, S* x) {
  ATTN_CHECK(s.batch * s.rows <= INT_MAX, "cuda softmax_rows: more rows than one grid dimension holds");
  const SoftmaxParams p{s.rows, s.cols, s.ld, s.stride, s.causal, s.causal_offset};
  const long long blocks = s.batch * s.rows;  // one block per row
  softmax_rows_kernel<S, T>
      <<<static_cast<unsigned>(blocks), kThreads, 0, static_cast<cudaStream_t>(ctx.stream)>>>(p, scale, x);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

template <class T>
void softmax_rows(const Context& ctx, const SoftmaxShape& s, T scale, T* x) {
  launch_softmax_rows<T, T>(ctx, s, scale, x);
}

void softmax_rows(const Context& ctx, const SoftmaxShape& s, float scale, Half* x) {
  launch_softmax_rows<__half, float>(ctx, s, scale, device_ptr(x));
}

void softmax_rows(const Context& ctx, const SoftmaxShape& s, float scale, BFloat16* x) {
  launch_softmax_rows<__nv_bfloat16, float>(ctx, s, scale, device_ptr(x));
}

template void softmax_rows<float>(const Context&, const SoftmaxShape&, float, float*);
template void softmax_rows<double>(const Context&, const SoftmaxShape&, double, double*);

}  // namespace attn::ops::cuda
