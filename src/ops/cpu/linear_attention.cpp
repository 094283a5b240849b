// Heads run in parallel with single-threaded BLAS when there are several; a single head runs its
// products on threaded BLAS. Both modes walk the sequence in chunks of C rows so the only scratch is
// the m x dv state, the m-vector of key sums and one C x C score block:
//   bidirectional: S = phi_k^T V, z = phi_k^T 1 over all rows; then out_c = phi_q_c S, den_c = phi_q_c z.
//   causal:        out_c = tril(phi_q_c phi_k_c^T) V_c + phi_q_c S, den_c = rowsum(tril(...)) + phi_q_c z,
//                  then S += phi_k_c^T V_c, z += phi_k_c^T 1 (the state covers rows before the chunk).
#include "ops/cpu/linear_attention.hpp"

#include <algorithm>
#include <cmath>

#include "ops/cpu/blas.hpp"
#include "ops/cpu/head_parallel.hpp"

namespace attn::ops::cpu {

namespace {

template <class T>
struct Scratch {
  T* state;  // [m, dv]
  T* ksum;   // [m]
  T* block;  // [C, C]
  T* den;    // [C]
};

template <class T>
void add_column_sums(int64_t rows, int64_t cols, const T* x, T* sum) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) sum[c] += x[r * cols + c];
  }
}

// out_c /= den_c with the JAX guard; returns how many rows hit the guard or had den <= 0.
template <class T>
int64_t normalize(int64_t rows, int64_t dv, double eps, T* den, T* out) {
  int64_t bad = 0;
  for (int64_t r = 0; r < rows; ++r) {
    T d = den[r];
    if (std::abs(static_cast<double>(d)) <= eps || !(d > T(0))) ++bad;
    if (std::abs(static_cast<double>(d)) <= eps) d += static_cast<T>(2 * eps);
    const T inv = T(1) / d;
    for (int64_t c = 0; c < dv; ++c) out[r * dv + c] *= inv;
  }
  return bad;
}

template <class T>
int64_t one_head(const LinearAttentionShape& s, const T* phi_q, const T* phi_k, const T* v, T* out, Scratch<T> w) {
  const int64_t n = s.seq_len, m = s.features, dv = s.value_dim, ch = s.chunk;
  std::fill(w.ksum, w.ksum + m, T(0));
  if (!s.causal) {
    blas_gemm(Trans::yes, Trans::no, m, dv, n, T(1), phi_k, m, v, dv, T(0), w.state, dv);
    add_column_sums(n, m, phi_k, w.ksum);
  }
  int64_t bad = 0;
  for (int64_t c0 = 0; c0 < n; c0 += ch) {
    const int64_t rows = std::min(ch, n - c0);
    const T* q = phi_q + c0 * m;
    const T* k = phi_k + c0 * m;
    const T* vc = v + c0 * dv;
    T* o = out + c0 * dv;
    const bool have_state = !s.causal || c0 > 0;
    if (s.causal) {
      blas_gemm(Trans::no, Trans::yes, rows, rows, m, T(1), q, m, k, m, T(0), w.block, ch);
      for (int64_t i = 0; i < rows; ++i) {
        T* row = w.block + i * ch;
        std::fill(row + i + 1, row + rows, T(0));  // keys after the query
        T sum = T(0);
        for (int64_t j = 0; j <= i; ++j) sum += row[j];
        w.den[i] = sum;  // unused without normalization
      }
      blas_gemm(Trans::no, Trans::no, rows, dv, rows, T(1), w.block, ch, vc, dv, T(0), o, dv);
    }
    if (have_state) {
      blas_gemm(Trans::no, Trans::no, rows, dv, m, T(1), q, m, w.state, dv, s.causal ? T(1) : T(0), o, dv);
      if (s.normalize) blas_gemv(Trans::no, rows, m, T(1), q, m, w.ksum, s.causal ? T(1) : T(0), w.den);
    }
    if (s.causal) {  // fold this chunk into the prefix state for the chunks after it
      blas_gemm(Trans::yes, Trans::no, m, dv, rows, T(1), k, m, vc, dv, c0 > 0 ? T(1) : T(0), w.state, dv);
      add_column_sums(rows, m, k, w.ksum);
    }
    if (s.normalize) bad += normalize(rows, dv, s.guard_eps, w.den, o);
  }
  return bad;
}

}  // namespace

std::size_t linear_attention_elems_per_worker(const LinearAttentionShape& s) {
  const std::size_t elems = static_cast<std::size_t>(s.features * s.value_dim + s.features + s.chunk * s.chunk + s.chunk);
  return (elems + 7) / 8 * 8;  // keep each worker's block 64-byte aligned for fp64
}

int linear_attention_workers(const LinearAttentionShape& s, int threads) { return head_workers(s.batch, threads); }

template <class T>
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const T* phi_q, const T* phi_k,
                         const T* v, T* out) {
  const int workers = linear_attention_workers(s, ctx.threads);
  const std::size_t per = linear_attention_elems_per_worker(s);
  T* base = ctx.ws().get<T>("linear_attention.scratch", static_cast<int64_t>(per) * workers);
  const int64_t m = s.features, dv = s.value_dim;
  auto scratch = [&](int id) {
    T* p = base + per * static_cast<std::size_t>(id);
    return Scratch<T>{p, p + m * dv, p + m * dv + m, p + m * dv + m + s.chunk * s.chunk};
  };
  auto head = [&](int64_t b, int id) {
    const int64_t nm = s.seq_len * m, nv = s.seq_len * dv;
    return one_head(s, phi_q + b * nm, phi_k + b * nm, v + b * nv, out + b * nv, scratch(id));
  };
  return for_each_head(s.batch, workers, head);
}

template int64_t linear_attention<float>(const Context&, const LinearAttentionShape&, const float*, const float*,
                                         const float*, float*);
template int64_t linear_attention<double>(const Context&, const LinearAttentionShape&, const double*,
                                          const double*, const double*, double*);

}  // namespace attn::ops::cpu
