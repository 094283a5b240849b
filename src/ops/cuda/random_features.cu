// Random feature maps on the GPU, in the CPU kernel's three steps (ops/cpu/random_features.cpp has
// the formulas): (1) optional L2 normalization of the input rows (cuda::normalize_rows into a
// workspace copy); (2) U = input_scale * X W^T for all heads as one cuBLAS GEMM written into the
// first m columns of each output row; (3) the map in place, one warp per row: the warp reduces the
// row's half squared norm h and, for the per-row shift, the row max of U (or of |U|), then each lane
// maps its columns. A shift shared by a head (per_head, and trig's max_n h_n) is one more pass: a
// warp per row writes its candidate (double) and one block per head takes the max.
#include <cuda_runtime.h>

#include <cmath>
#include <limits>

#include "ops/cuda/common.cuh"
#include "ops/cuda/gemm.hpp"
#include "ops/cuda/random_features.hpp"
#include "ops/cuda/rowwise.hpp"

namespace attn::ops::cuda {

namespace {

struct MapParams {
  long long rows;      // batch * seq_len
  long long seq_len;
  int head_dim;
  long long m;         // projections
  long long cols;      // feature columns (m or 2m)
  int kind;            // FeatureKind
  bool unshifted;      // shift none, or fourier
  bool shared;         // one shift per head (head_c)
  double eps;          // positive features' stabilizer
  double input_scale;
};

__host__ __device__ constexpr int kind_id(FeatureKind k) { return static_cast<int>(k); }

// Half squared norm of input row x after input_scale, reduced over the warp (double).
template <class T>
__device__ double half_sq_norm(const T* x, int d, double input_scale, int lane) {
  double sum = 0;
  for (int c = lane; c < d; c += 32) sum += static_cast<double>(x[c]) * static_cast<double>(x[c]);
  return 0.5 * input_scale * input_scale * warp_sum(sum);
}

// Row max of U (positive) or of |U| from 0 (hyperbolic) over the first m columns, in T as on the CPU.
template <class T>
__device__ T row_shift(int kind, const T* u, long long m, int lane) {
  T best = kind == kind_id(FeatureKind::positive) ? -std::numeric_limits<T>::infinity() : T(0);
  for (long long j = lane; j < m; j += 32) {
    const T v = kind == kind_id(FeatureKind::positive) ? u[j] : fabs(u[j]);
    best = v > best ? v : best;
  }
  return warp_max(best);
}

// Per-row candidates of the head-shared constant: h (trig) or the row shift (positive/hyperbolic).
template <class T>
__global__ void row_candidates_kernel(MapParams p, const T* x, const T* out, double* cand) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, p.rows) {
    const double v = p.kind == kind_id(FeatureKind::trig)
                         ? half_sq_norm(x + r * p.head_dim, p.head_dim, p.input_scale, lane)
                         : static_cast<double>(row_shift(p.kind, out + r * p.cols, p.m, lane));
    if (lane == 0) cand[r] = v;
  }
}

// head_c[b] = max over the head's rows of cand (one block per head); also into shift_out.
template <class T>
__global__ void head_max_kernel(MapParams p, const double* cand, double* head_c, T* shift_out) {
  __shared__ double partial[kWarpsPerBlock];
  const long long b = blockIdx.x;
  double best = -std::numeric_limits<double>::infinity();
  for (long long i = threadIdx.x; i < p.seq_len; i += blockDim.x) best = fmax(best, cand[b * p.seq_len + i]);
  best = warp_max(best);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = best;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 0; w < kWarpsPerBlock; ++w) best = fmax(best, partial[w]);
    head_c[b] = best;
    if (shift_out != nullptr) shift_out[b] = static_cast<T>(best);
  }
}

template <class T>
__global__ void map_kernel(MapParams p, const T* x, const double* head_c, const T* proj_scale, T* out, T* shift_out) {
  const int lane = threadIdx.x % 32;
  const long long m = p.m;
  ATTN_WARP_LOOP(r, p.rows) {
    T* row = out + r * p.cols;
    const double h = half_sq_norm(x + r * p.head_dim, p.head_dim, p.input_scale, lane);
    double c = 0;
    if (p.shared) {
      c = head_c[r / p.seq_len];
    } else if (!p.unshifted) {
      c = static_cast<double>(row_shift(p.kind, row, m, lane));
      if (shift_out != nullptr && lane == 0) shift_out[r] = static_cast<T>(c);
    }
    __syncwarp();  // the shift's reads of U precede every lane's writes
    switch (p.kind) {
      case kind_id(FeatureKind::positive): {
        const T hc = static_cast<T>(h + c), eps = static_cast<T>(p.eps);
        const T inv = static_cast<T>(1.0 / sqrt(static_cast<double>(m)));
        for (long long j = lane; j < m; j += 32) row[j] = (exp_t(row[j] - hc) + eps) * inv;
        break;
      }
      case kind_id(FeatureKind::hyperbolic): {
        const T hc = static_cast<T>(h + c), inv = static_cast<T>(1.0 / sqrt(2.0 * static_cast<double>(m)));
        for (long long j = lane; j < m; j += 32) {
          const T u = row[j];
          row[j] = exp_t(u - hc) * inv;
          row[m + j] = exp_t(-u - hc) * inv;
        }
        break;
      }
      case kind_id(FeatureKind::trig): {
        const T f = static_cast<T>(exp(h - c) / sqrt(static_cast<double>(m)));
        for (long long j = lane; j < m; j += 32) {
          const T u = row[j];
          row[j] = cos(u) * f;
          row[m + j] = sin(u) * f;
        }
        break;
      }
      default: {  // fourier
        const T f = static_cast<T>(1.0 / sqrt(static_cast<double>(m)));
        for (long long j = lane; j < m; j += 32) {
          const T u = row[j], sc = proj_scale != nullptr ? proj_scale[j] : f;
          row[j] = cos(u) * sc;
          row[m + j] = sin(u) * sc;
        }
        break;
      }
    }
  }
}

template <class T>
void launch_map(cudaStream_t stream, const MapParams& p, long long batch, const T* x, double* cand, double* head_c,
                const T* proj_scale, T* out, T* shift_out) {
  const unsigned warps_grid = grid_for(p.rows * 32);
  if (p.shared) {
    row_candidates_kernel<T><<<warps_grid, kBlockThreads, 0, stream>>>(p, x, out, cand);
    ATTN_CUDA_CHECK(cudaGetLastError());
    head_max_kernel<T><<<static_cast<unsigned>(batch), kBlockThreads, 0, stream>>>(p, cand, head_c, shift_out);
    ATTN_CUDA_CHECK(cudaGetLastError());
  }
  map_kernel<T><<<warps_grid, kBlockThreads, 0, stream>>>(p, x, head_c, proj_scale, out, p.shared ? nullptr : shift_out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

template <class T>
void random_features(const Context& ctx, const FeatureShape& s, const T* x, const T* w, T* out, const T* proj_scale,
                     T* shift_out) {
  ATTN_CHECK(ctx.workspace != nullptr, "cuda random_features: the context needs a workspace");
  const int64_t n = s.seq_len, d = s.head_dim, m = s.projections, rows = s.batch * n;
  const int64_t cols = feature_columns(s);
  if (s.l2_normalize) {  // x <- x / |x| into a workspace copy; a zero row stays zero
    T* unit = ctx.ws().get<T>("random_features.unit", rows * d);
    cuda::normalize_rows<T>(ctx, row_shape(rows, d), T(1), x, unit);
    x = unit;
  }
  GemmShape g = gemm_shape(Trans::no, Trans::yes, rows, m, d);
  g.ldc = cols;
  cuda::gemm<T>(ctx, g, static_cast<T>(s.input_scale), x, w, T(0), out);

  MapParams p{};
  p.rows = rows;
  p.seq_len = n;
  p.head_dim = static_cast<int>(d);
  p.m = m;
  p.cols = cols;
  p.kind = kind_id(s.kind);
  p.unshifted = s.shift == FeatureShift::none || s.kind == FeatureKind::fourier;
  p.shared = !p.unshifted && (s.kind == FeatureKind::trig || s.shift == FeatureShift::per_head);
  p.eps = s.eps;
  p.input_scale = s.input_scale;
  double* cand = nullptr;
  double* head_c = nullptr;
  if (p.shared) {
    cand = ctx.ws().get<double>("random_features.shift", rows + s.batch);
    head_c = cand + rows;
  }
  launch_map<T>(stream_of(ctx), p, s.batch, x, cand, head_c, proj_scale, out, shift_out);
}

template void random_features<float>(const Context&, const FeatureShape&, const float*, const float*, float*,
                                     const float*, float*);
template void random_features<double>(const Context&, const FeatureShape&, const double*, const double*, double*,
                                      const double*, double*);

}  // namespace attn::ops::cuda
