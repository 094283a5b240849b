// Random feature maps on the GPU, in the CPU kernel's three steps (ops/cpu/random_features.cpp has
// the formulas): (1) optional L2 normalization of the input rows (cuda::normalize_rows into a
// workspace copy); (2) U = input_scale * X W^T for all heads as one cuBLAS GEMM written into the
// first m columns of each output row; (3) the map in place, one warp per row: the warp reduces the
// row's half squared norm h and, for the per-row shift, the row max of U (or of |U|), then each lane
// maps its columns. A shift shared by a head (per_head, and trig's max_n h_n) is one more pass: a
// warp per row writes its candidate (double) and one block per head takes the max.
// fp16 / bf16 (the autocast recipe): the projection's operands are 16-bit on tensor cores with an
// fp32 result in a workspace copy ("random_features.proj"), the map reads that fp32 U and the 16-bit
// input (upcast) and does every exp, cos and norm in fp32, and only the feature is rounded to the type
// (once). The kernels are the fp32 ones, templated on the storage type S with arithmetic in A.
#include <cuda_runtime.h>

#include <cmath>
#include <limits>

#include "ops/cuda/common.cuh"
#include "ops/cuda/gemm.hpp"
#include "ops/cuda/random_features.hpp"
#include "ops/cuda/rowwise.hpp"
#include "ops/cuda/storage.cuh"

namespace attn::ops::cuda {

namespace {

struct MapParams {
  long long rows;      // batch * seq_len
  long long seq_len;
  int head_dim;
  long long m;         // projections
  long long cols;      // feature columns (m or 2m): the output's row pitch
  long long u_ld;      // row pitch of U (cols when U is the output itself, m for the fp32 copy)
  int kind;            // FeatureKind
  bool unshifted;      // shift none, or fourier
  bool shared;         // one shift per head (head_c)
  double eps;          // positive features' stabilizer
  double input_scale;
};

__host__ __device__ constexpr int kind_id(FeatureKind k) { return static_cast<int>(k); }

// Half squared norm of input row x after input_scale, reduced over the warp (double).
template <class S>
__device__ double half_sq_norm(const S* x, int d, double input_scale, int lane) {
  double sum = 0;
  for (int c = lane; c < d; c += 32) {
    const double v = static_cast<double>(load(x[c]));
    sum += v * v;
  }
  return 0.5 * input_scale * input_scale * warp_sum(sum);
}

// Row max of U (positive) or of |U| from 0 (hyperbolic) over the first m columns, in A as on the CPU.
template <class A>
__device__ A row_shift(int kind, const A* u, long long m, int lane) {
  A best = kind == kind_id(FeatureKind::positive) ? -std::numeric_limits<A>::infinity() : A(0);
  for (long long j = lane; j < m; j += 32) {
    const A v = kind == kind_id(FeatureKind::positive) ? u[j] : fabs(u[j]);
    best = v > best ? v : best;
  }
  return warp_max(best);
}

// Per-row candidates of the head-shared constant: h (trig) or the row shift (positive/hyperbolic).
template <class S, class A>
__global__ void row_candidates_kernel(MapParams p, const S* x, const A* u, double* cand) {
  const int lane = threadIdx.x % 32;
  ATTN_WARP_LOOP(r, p.rows) {
    const double v = p.kind == kind_id(FeatureKind::trig)
                         ? half_sq_norm(x + r * p.head_dim, p.head_dim, p.input_scale, lane)
                         : static_cast<double>(row_shift(p.kind, u + r * p.u_ld, p.m, lane));
    if (lane == 0) cand[r] = v;
  }
}

// head_c[b] = max over the head's rows of cand (one block per head); also into shift_out.
template <class S, class A>
__global__ void head_max_kernel(MapParams p, const double* cand, double* head_c, S* shift_out) {
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
    if (shift_out != nullptr) put(shift_out[b], static_cast<A>(best));
  }
}

// U row r at u + r * u_ld (A), the features at out + r * cols (S). For fp32 / fp64 U is the output
// itself (its first m columns, mapped in place): each lane reads its U entries before writing them.
template <class S, class A>
__global__ void map_kernel(MapParams p, const S* x, const double* head_c, const S* proj_scale, const A* u_all, S* out,
                           S* shift_out) {
  const int lane = threadIdx.x % 32;
  const long long m = p.m;
  ATTN_WARP_LOOP(r, p.rows) {
    const A* u = u_all + r * p.u_ld;
    S* row = out + r * p.cols;
    const double h = half_sq_norm(x + r * p.head_dim, p.head_dim, p.input_scale, lane);
    double c = 0;
    if (p.shared) {
      c = head_c[r / p.seq_len];
    } else if (!p.unshifted) {
      c = static_cast<double>(row_shift(p.kind, u, m, lane));
      if (shift_out != nullptr && lane == 0) put(shift_out[r], static_cast<A>(c));
    }
    __syncwarp();  // the shift's reads of U precede every lane's writes (U may be the output)
    switch (p.kind) {
      case kind_id(FeatureKind::positive): {
        const A hc = static_cast<A>(h + c), eps = static_cast<A>(p.eps);
        const A inv = static_cast<A>(1.0 / sqrt(static_cast<double>(m)));
        for (long long j = lane; j < m; j += 32) put(row[j], (exp_t(u[j] - hc) + eps) * inv);
        break;
      }
      case kind_id(FeatureKind::hyperbolic): {
        const A hc = static_cast<A>(h + c), inv = static_cast<A>(1.0 / sqrt(2.0 * static_cast<double>(m)));
        for (long long j = lane; j < m; j += 32) {
          const A uj = u[j];
          put(row[j], exp_t(uj - hc) * inv);
          put(row[m + j], exp_t(-uj - hc) * inv);
        }
        break;
      }
      case kind_id(FeatureKind::trig): {
        const A f = static_cast<A>(exp(h - c) / sqrt(static_cast<double>(m)));
        for (long long j = lane; j < m; j += 32) {
          const A uj = u[j];
          put(row[j], cos(uj) * f);
          put(row[m + j], sin(uj) * f);
        }
        break;
      }
      default: {  // fourier
        const A f = static_cast<A>(1.0 / sqrt(static_cast<double>(m)));
        for (long long j = lane; j < m; j += 32) {
          const A uj = u[j], sc = proj_scale != nullptr ? static_cast<A>(load(proj_scale[j])) : f;
          put(row[j], cos(uj) * sc);
          put(row[m + j], sin(uj) * sc);
        }
        break;
      }
    }
  }
}

template <class S, class A>
void launch_map(cudaStream_t stream, const MapParams& p, long long batch, const S* x, double* cand, double* head_c,
                const S* proj_scale, const A* u, S* out, S* shift_out) {
  const unsigned warps_grid = grid_for(p.rows * 32);
  if (p.shared) {
    row_candidates_kernel<S, A><<<warps_grid, kBlockThreads, 0, stream>>>(p, x, u, cand);
    ATTN_CUDA_CHECK(cudaGetLastError());
    head_max_kernel<S, A><<<static_cast<unsigned>(batch), kBlockThreads, 0, stream>>>(p, cand, head_c, shift_out);
    ATTN_CUDA_CHECK(cudaGetLastError());
  }
  map_kernel<S, A><<<warps_grid, kBlockThreads, 0, stream>>>(p, x, head_c, proj_scale, u, out,
                                                             p.shared ? nullptr : shift_out);
  ATTN_CUDA_CHECK(cudaGetLastError());
}

// Step (3) for U already projected (u_ld: its row pitch): the parameters, the shared-shift scratch,
// the launches.
template <class S, class A>
void map_features(const Context& ctx, const FeatureShape& s, const S* x, const A* u, int64_t u_ld, const S* proj_scale,
                  S* out, S* shift_out) {
  MapParams p{};
  p.rows = s.batch * s.seq_len;
  p.seq_len = s.seq_len;
  p.head_dim = static_cast<int>(s.head_dim);
  p.m = s.projections;
  p.cols = feature_columns(s);
  p.u_ld = u_ld;
  p.kind = kind_id(s.kind);
  p.unshifted = s.shift == FeatureShift::none || s.kind == FeatureKind::fourier;
  p.shared = !p.unshifted && (s.kind == FeatureKind::trig || s.shift == FeatureShift::per_head);
  p.eps = s.eps;
  p.input_scale = s.input_scale;
  double* cand = nullptr;
  double* head_c = nullptr;
  if (p.shared) {
    cand = ctx.ws().get<double>("random_features.shift", p.rows + s.batch);
    head_c = cand + p.rows;
  }
  launch_map<S, A>(stream_of(ctx), p, s.batch, x, cand, head_c, proj_scale, u, out, shift_out);
}

// 16-bit storage H (Half / BFloat16): U = input_scale X W^T from 16-bit operands into fp32 scratch.
template <class H>
void random_features_16(const Context& ctx, const FeatureShape& s, const H* x, const H* w, H* out, const H* proj_scale,
                        H* shift_out) {
  ATTN_CHECK(ctx.workspace != nullptr, "cuda random_features: the context needs a workspace");
  ATTN_CHECK(!s.l2_normalize, "cuda random_features: no 16-bit path for l2_normalize (the entry refuses it)");
  const int64_t d = s.head_dim, m = s.projections, rows = s.batch * s.seq_len;
  float* u = ctx.ws().get<float>("random_features.proj", rows * m);
  cuda::gemm(ctx, gemm_shape(Trans::no, Trans::yes, rows, m, d), static_cast<float>(s.input_scale), x, w, 0.0f, u);
  map_features(ctx, s, device_ptr(x), static_cast<const float*>(u), m, device_ptr(proj_scale), device_ptr(out),
               device_ptr(shift_out));
}

}  // namespace

template <class T>
void random_features(const Context& ctx, const FeatureShape& s, const T* x, const T* w, T* out, const T* proj_scale,
                     T* shift_out) {
  ATTN_CHECK(ctx.workspace != nullptr, "cuda random_features: the context needs a workspace");
  const int64_t d = s.head_dim, m = s.projections, rows = s.batch * s.seq_len;
  const int64_t cols = feature_columns(s);
  if (s.l2_normalize) {  // x <- x / |x| into a workspace copy; a zero row stays zero
    T* unit = ctx.ws().get<T>("random_features.unit", rows * d);
    cuda::normalize_rows<T>(ctx, row_shape(rows, d), T(1), x, unit);
    x = unit;
  }
  GemmShape g = gemm_shape(Trans::no, Trans::yes, rows, m, d);
  g.ldc = cols;
  cuda::gemm<T>(ctx, g, static_cast<T>(s.input_scale), x, w, T(0), out);
  map_features<T, T>(ctx, s, x, out, cols, proj_scale, out, shift_out);  // U is the output's first m columns
}

void random_features(const Context& ctx, const FeatureShape& s, const Half* x, const Half* w, Half* out,
                     const Half* proj_scale, Half* shift_out) {
  random_features_16(ctx, s, x, w, out, proj_scale, shift_out);
}

void random_features(const Context& ctx, const FeatureShape& s, const BFloat16* x, const BFloat16* w, BFloat16* out,
                     const BFloat16* proj_scale, BFloat16* shift_out) {
  random_features_16(ctx, s, x, w, out, proj_scale, shift_out);
}

template void random_features<float>(const Context&, const FeatureShape&, const float*, const float*, float*,
                                     const float*, float*);
template void random_features<double>(const Context&, const FeatureShape&, const double*, const double*, double*,
                                      const double*, double*);

}  // namespace attn::ops::cuda
