// Heads run in parallel with single-threaded BLAS when there are several; a single head runs its
// products on threaded BLAS. Per chunk c of C rows (global row t counts t = c0 + i + 1 tokens):
//   A_c    = elu(scale K_c P^T) + 1                               C x l
//   logits = Q_c S_K^T + tril(Q_c K_c^T) A_c,  row i scaled by scale / t
//   W      = softmax over l of logits
//   out_c  = (W S_V + tril(W A_c^T) V_c) / t
//   S_K   += A_c^T K_c,  S_V += A_c^T V_c                          (the prefix state, l x d and l x dv)
// which is the official per-token recurrence regrouped so every term is a GEMM.
#include "ops/cpu/nested_causal_attention.hpp"

#include <algorithm>
#include <cmath>

#include "ops/cpu/blas.hpp"
#include "ops/cpu/head_parallel.hpp"

namespace attn::ops::cpu {

namespace {

template <class T>
struct Scratch {
  T* state_k;  // [l, d]
  T* state_v;  // [l, dv]
  T* pack;     // [C, l]
  T* logits;   // [C, l]
  T* block;    // [C, C]
};

// Zeroes the strictly upper triangle of a rows x rows block (keys after the query).
template <class T>
void keep_lower_triangle(int64_t rows, int64_t ld, T* block) {
  for (int64_t i = 0; i < rows; ++i) std::fill(block + i * ld + i + 1, block + i * ld + rows, T(0));
}

template <class T>
void softmax_row(int64_t cols, T* x) {
  T mx = x[0];
  for (int64_t c = 1; c < cols; ++c) mx = std::max(mx, x[c]);
  T sum = T(0);
  for (int64_t c = 0; c < cols; ++c) {
    x[c] = std::exp(x[c] - mx);
    sum += x[c];
  }
  const T inv = T(1) / sum;
  for (int64_t c = 0; c < cols; ++c) x[c] *= inv;
}

template <class T>
void one_head(const NestedCausalShape& s, T scale, const T* p, const T* q, const T* k, const T* v, T* out,
              Scratch<T> w) {
  const int64_t n = s.seq_len, d = s.head_dim, dv = s.value_dim, l = s.pack_len, ch = s.chunk;
  for (int64_t c0 = 0; c0 < n; c0 += ch) {
    const int64_t rows = std::min(ch, n - c0);
    const bool have_state = c0 > 0;
    const T* qc = q + c0 * d;
    const T* kc = k + c0 * d;
    const T* vc = v + c0 * dv;
    T* o = out + c0 * dv;
    blas_gemm(Trans::no, Trans::yes, rows, l, d, scale, kc, d, p, d, T(0), w.pack, l);
    for (int64_t i = 0; i < rows * l; ++i) {
      const T x = w.pack[i];
      w.pack[i] = x > T(0) ? x + T(1) : std::exp(x);  // elu(x) + 1
    }
    blas_gemm(Trans::no, Trans::yes, rows, rows, d, T(1), qc, d, kc, d, T(0), w.block, ch);
    keep_lower_triangle(rows, ch, w.block);
    if (have_state) blas_gemm(Trans::no, Trans::yes, rows, l, d, T(1), qc, d, w.state_k, d, T(0), w.logits, l);
    blas_gemm(Trans::no, Trans::no, rows, l, rows, T(1), w.block, ch, w.pack, l, have_state ? T(1) : T(0),
              w.logits, l);
    for (int64_t i = 0; i < rows; ++i) {
      T* row = w.logits + i * l;
      const T f = scale / static_cast<T>(c0 + i + 1);
      for (int64_t j = 0; j < l; ++j) row[j] *= f;
      softmax_row(l, row);
    }
    blas_gemm(Trans::no, Trans::yes, rows, rows, l, T(1), w.logits, l, w.pack, l, T(0), w.block, ch);
    keep_lower_triangle(rows, ch, w.block);
    blas_gemm(Trans::no, Trans::no, rows, dv, rows, T(1), w.block, ch, vc, dv, T(0), o, dv);
    if (have_state) blas_gemm(Trans::no, Trans::no, rows, dv, l, T(1), w.logits, l, w.state_v, dv, T(1), o, dv);
    for (int64_t i = 0; i < rows; ++i) {
      const T inv = T(1) / static_cast<T>(c0 + i + 1);
      for (int64_t c = 0; c < dv; ++c) o[i * dv + c] *= inv;
    }
    blas_gemm(Trans::yes, Trans::no, l, d, rows, T(1), w.pack, l, kc, d, have_state ? T(1) : T(0), w.state_k, d);
    blas_gemm(Trans::yes, Trans::no, l, dv, rows, T(1), w.pack, l, vc, dv, have_state ? T(1) : T(0), w.state_v, dv);
  }
}

}  // namespace

std::size_t nested_causal_elems_per_worker(const NestedCausalShape& s) {
  const int64_t ch = std::min(s.chunk, s.seq_len);
  const std::size_t elems = static_cast<std::size_t>(s.pack_len * (s.head_dim + s.value_dim) + 2 * ch * s.pack_len +
                                                     s.chunk * s.chunk);
  return (elems + 7) / 8 * 8;  // keep each worker's block 64-byte aligned for fp64
}

int nested_causal_workers(const NestedCausalShape& s, int threads) { return head_workers(s.batch, threads); }

template <class T>
void nested_causal_attention(const Context& ctx, const NestedCausalShape& s, T scale, const T* p, const T* q,
                             const T* k, const T* v, T* out) {
  const int workers = nested_causal_workers(s, ctx.threads);
  const std::size_t per = nested_causal_elems_per_worker(s);
  T* base = ctx.ws().get<T>("nested_causal_attention.scratch", static_cast<int64_t>(per) * workers);
  const int64_t l = s.pack_len, d = s.head_dim, dv = s.value_dim, ch = std::min(s.chunk, s.seq_len);
  auto scratch = [&](int id) {
    T* w = base + per * static_cast<std::size_t>(id);
    return Scratch<T>{w, w + l * d, w + l * (d + dv), w + l * (d + dv) + ch * l, w + l * (d + dv) + 2 * ch * l};
  };
  auto head = [&](int64_t b, int id) {
    const int64_t nd = s.seq_len * d, nv = s.seq_len * dv;
    one_head(s, scale, p + b * s.pack_stride, q + b * nd, k + b * nd, v + b * nv, out + b * nv, scratch(id));
    return int64_t{0};
  };
  for_each_head(s.batch, workers, head);
}

template void nested_causal_attention<float>(const Context&, const NestedCausalShape&, float, const float*,
                                             const float*, const float*, const float*, float*);
template void nested_causal_attention<double>(const Context&, const NestedCausalShape&, double, const double*,
                                              const double*, const double*, const double*, double*);

}  // namespace attn::ops::cpu
