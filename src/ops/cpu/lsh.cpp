// Hashing: row chunks of X times the head's planes by single-threaded BLAS per worker, then the sign
// bits packed per hash. Cumulation: the value columns are split among the workers, so each owns a
// 2^bits x (its columns) table slice and its output columns outright: no atomics, deterministic.
#include "ops/cpu/lsh.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/threads.hpp"
#include "ops/cpu/blas.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn::ops::cpu {

namespace {
constexpr int64_t kRowChunk = 256;
}

template <class T>
void lsh_hash(const Context& ctx, const LshShape& s, const T* x, const T* planes, int32_t* codes) {
  const int64_t n = s.seq_len, d = s.head_dim, p = s.hashes * s.bits;
  const int64_t chunks = (n + kRowChunk - 1) / kRowChunk;
  const int threads = std::max(1, ctx.threads);
  BlasSingleThreaded single;
#pragma omp parallel num_threads(threads)
  {
    std::vector<T> proj(static_cast<size_t>(kRowChunk * std::max<int64_t>(1, p)));
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < s.batch * chunks; ++item) {
      const int64_t b = item / chunks, r0 = (item % chunks) * kRowChunk, rows = std::min(kRowChunk, n - r0);
      if (p > 0)
        blas_gemm(Trans::no, Trans::yes, rows, p, d, T(1), x + (b * n + r0) * d, d, planes + b * p * d, d, T(0),
                  proj.data(), p);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t f = 0; f < s.hashes; ++f) {
          int32_t code = 0;
          for (int64_t t = 0; t < s.bits; ++t)
            if (proj[r * p + f * s.bits + t] > T(0)) code |= int32_t{1} << t;
          codes[(b * s.hashes + f) * n + r0 + r] = code;
        }
    }
  }
}

std::size_t lsh_bucket_sum_scratch_elems(const LshShape& s, int64_t value_dim, int threads) {
  const int64_t per = (value_dim + threads - 1) / threads;
  return static_cast<std::size_t>((int64_t{1} << s.bits) * per * threads);
}

template <class T>
void lsh_bucket_sum(const Context& ctx, const LshShape& s, int64_t value_dim, const int32_t* q_codes,
                    const int32_t* k_codes, const T* v, T* out) {
  const int64_t n = s.seq_len, dv = value_dim, buckets = int64_t{1} << s.bits;
  const int threads = static_cast<int>(std::min<int64_t>(std::max(1, ctx.threads), dv));
  const int64_t per = (dv + threads - 1) / threads;
  T* tables = ctx.ws().get<T>("lsh.tables", static_cast<int64_t>(lsh_bucket_sum_scratch_elems(s, dv, threads)));
  const T inv_m = T(1) / static_cast<T>(s.hashes);
#pragma omp parallel num_threads(threads)
  {
#ifdef _OPENMP
    const int tid = omp_get_thread_num();
#else
    const int tid = 0;
#endif
    const int64_t c0 = std::min(dv, tid * per), c1 = std::min(dv, c0 + per), w = c1 - c0;
    T* table = tables + static_cast<int64_t>(tid) * buckets * per;
    for (int64_t b = 0; b < s.batch && w > 0; ++b) {
      const T* vb = v + b * n * dv;
      T* ob = out + b * n * dv;
      for (int64_t i = 0; i < n; ++i) std::fill(ob + i * dv + c0, ob + i * dv + c1, T(0));
      for (int64_t f = 0; f < s.hashes; ++f) {
        const int32_t* kc = k_codes + (b * s.hashes + f) * n;
        const int32_t* qc = q_codes + (b * s.hashes + f) * n;
        std::fill(table, table + buckets * w, T(0));
        for (int64_t j = 0; j < n; ++j) {
          T* row = table + kc[j] * w;
          const T* src = vb + j * dv + c0;
          for (int64_t c = 0; c < w; ++c) row[c] += src[c];
        }
        for (int64_t i = 0; i < n; ++i) {
          const T* row = table + qc[i] * w;
          T* dst = ob + i * dv + c0;
          for (int64_t c = 0; c < w; ++c) dst[c] += row[c];
        }
      }
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = c0; c < c1; ++c) ob[i * dv + c] *= inv_m;
    }
  }
}

void lsh_sort(const Context& ctx, const LshShape& s, const int32_t* codes, int64_t* perm) {
  const int64_t n = s.seq_len;
  const int threads = std::max(1, ctx.threads);
#pragma omp parallel for num_threads(threads) schedule(static) if (s.batch > 1)
  for (int64_t b = 0; b < s.batch; ++b) {
    const int32_t* c = codes + b * s.hashes * n;
    int64_t* p = perm + b * n;
    std::iota(p, p + n, int64_t{0});
    std::stable_sort(p, p + n, [c](int64_t a, int64_t e) { return c[a] < c[e]; });
  }
}

template void lsh_hash<float>(const Context&, const LshShape&, const float*, const float*, int32_t*);
template void lsh_hash<double>(const Context&, const LshShape&, const double*, const double*, int32_t*);
template void lsh_bucket_sum<float>(const Context&, const LshShape&, int64_t, const int32_t*, const int32_t*,
                                    const float*, float*);
template void lsh_bucket_sum<double>(const Context&, const LshShape&, int64_t, const int32_t*, const int32_t*,
                                     const double*, double*);

}  // namespace attn::ops::cpu
