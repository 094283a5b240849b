// One worker owns one (head, query tile) pair at a time and streams the key tiles that the mask can
// reach. Per key tile: S = (scale log2 e) Qi Kj^T by BLAS (scores land in log2 units, so each
// exponential is exp2(S - m)), the online max/sum update of the card, then acc += P Vj by BLAS.
// Each row's allowed keys are one interval (attention_mask.cpp), so masking a diagonal or edge tile
// means zeroing the row outside that interval; fully allowed tiles pay nothing for the mask.
// With a block layout, a query tile never straddles two layout blocks (its rows divide the block),
// and the key columns it visits are the runs of adjacent active key blocks of its CSR row,
// intersected with the mask's key range and cut into tiles of at most block_k columns: inactive
// blocks are never loaded, never multiplied and never masked.
#include "ops/cpu/flash_attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/threads.hpp"
#include "ops/cpu/blas.hpp"
#include "ops/cpu/vec_math.hpp"

namespace attn::ops::cpu {

namespace {

constexpr double kLog2e = 1.4426950408889634074;
constexpr double kLn2 = 0.69314718055994530942;

template <class T>
struct Tile {
  T* s;    // [block_q, block_k] scores, then probabilities in place
  T* acc;  // [block_q, head_dim] unnormalized output
  T* m;    // [block_q] running max of the log2-unit scores
  T* l;    // [block_q] running sum of exp2(score - m)
};

template <class T>
Tile<T> carve(T* base, const FlashShape& s) {
  const int64_t br = s.tiles.block_q, bc = s.tiles.block_k;
  return Tile<T>{base, base + br * bc, base + br * bc + br * s.head_dim, base + br * bc + br * s.head_dim + br};
}

// Online-softmax update of rows [0, rows) for one key tile [c0, c0 + cols): leaves the
// probabilities in t.s (0 outside each row's allowed keys), updates m and l, and rescales t.acc
// where the running max moved.
// Keys [lo, hi) that query rows [r0, r1) may reach under the mask (queries and keys may differ in
// length; the mask compares global indices).
void reach(const FlashShape& s, int64_t r0, int64_t r1, int64_t* lo, int64_t* hi) {
  const int64_t nk = s.keys();
  s.mask.key_range(r0, r1, std::max(s.seq_len, nk), lo, hi);
  *hi = std::min(*hi, nk);
  *lo = std::min(*lo, *hi);
}

template <class T>
void update_rows(const FlashShape& s, Tile<T>& t, int64_t r0, int64_t rows, int64_t c0, int64_t cols, bool first) {
  const int64_t bc = s.tiles.block_k, d = s.head_dim;
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  for (int64_t r = 0; r < rows; ++r) {
    int64_t a = 0, b = 0;
    reach(s, r0 + r, r0 + r + 1, &a, &b);
    a = std::clamp<int64_t>(a - c0, 0, cols);
    b = std::clamp<int64_t>(b - c0, a, cols);
    T* row = t.s + r * bc;
    const T m_new = std::max(t.m[r], max_of(row + a, b - a));
    // A row with nothing allowed so far keeps m = -inf; subtracting 0 avoids (-inf) - (-inf).
    const T m_use = m_new == kNegInf ? T(0) : m_new;
    std::fill(row, row + a, T(0));
    std::fill(row + b, row + cols, T(0));
    const T sum = exp2_affine_sum(row + a, b - a, T(1), m_use);
    const T alpha = std::exp2(t.m[r] - m_use);  // 0 on the first visit (m = -inf)
    t.l[r] = alpha * t.l[r] + sum;
    t.m[r] = m_new;
    if (!first && alpha != T(1)) {
      T* acc = t.acc + r * d;
      for (int64_t c = 0; c < d; ++c) acc[c] *= alpha;
    }
  }
}

// Query rows per tile: block_q, or with a layout the largest divisor of the layout block that fits.
int64_t tile_rows(const FlashShape& s) {
  const int64_t br = s.tiles.block_q;
  if (!s.layout.active() || s.layout.block <= br) return s.layout.active() ? s.layout.block : br;
  for (int64_t r = br; r > 1; --r)
    if (s.layout.block % r == 0) return r;
  return 1;
}

// `blocks` (nblocks entries): the active key blocks of this tile's layout row, or null for all.
template <class T>
void query_tile(const FlashShape& s, int64_t br, T scale_log2, const T* q, const T* k, const T* v, T* out, T* lse,
                int64_t r0, const int64_t* blocks, int64_t nblocks, Tile<T> t) {
  const int64_t n = s.seq_len, d = s.head_dim, bc = s.tiles.block_k;
  const int64_t r1 = std::min(r0 + br, n), rows = r1 - r0;
  std::fill(t.m, t.m + rows, -std::numeric_limits<T>::infinity());
  std::fill(t.l, t.l + rows, T(0));
  int64_t lo = 0, hi = 0;
  reach(s, r0, r1, &lo, &hi);  // tiles outside [lo, hi) are skipped whole
  bool first = true;
  auto visit = [&](int64_t c_lo, int64_t c_hi) {
    for (int64_t c0 = c_lo; c0 < c_hi; c0 += bc) {
      const int64_t cols = std::min(bc, c_hi - c0);
      blas_gemm(Trans::no, Trans::yes, rows, cols, d, scale_log2, q + r0 * d, d, k + c0 * d, d, T(0), t.s, bc);
      update_rows(s, t, r0, rows, c0, cols, first);
      blas_gemm(Trans::no, Trans::no, rows, d, cols, T(1), t.s, bc, v + c0 * d, d, first ? T(0) : T(1), t.acc, d);
      first = false;
    }
  };
  if (blocks == nullptr) {
    visit(lo, hi);
  } else {
    const int64_t b = s.layout.block;
    for (int64_t p = 0; p < nblocks;) {
      const int64_t j0 = blocks[p];
      int64_t j1 = j0;  // extend the run over adjacent active blocks
      while (++p < nblocks && blocks[p] == j1 + 1) ++j1;
      visit(std::max(lo, j0 * b), std::min(hi, (j1 + 1) * b));
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    const T l = t.l[r];
    const bool empty = first || !(l > T(0));  // FA2: sum 0 or NaN -> output 0, LSE +inf
    const T inv = empty ? T(0) : T(1) / l;
    T* o = out + (r0 + r) * d;
    const T* acc = t.acc + r * d;
    for (int64_t c = 0; c < d; ++c) o[c] = empty ? T(0) : acc[c] * inv;
    if (lse != nullptr) {
      lse[r0 + r] = empty ? std::numeric_limits<T>::infinity()
                          : static_cast<T>(static_cast<double>(t.m[r]) * kLn2 + std::log(static_cast<double>(l)));
    }
  }
}

}  // namespace

std::size_t flash_scratch_elems_per_thread(const FlashShape& s, std::size_t elem_bytes) {
  const int64_t br = s.tiles.block_q, bc = s.tiles.block_k;
  const std::size_t elems = static_cast<std::size_t>(br * bc + br * s.head_dim + 2 * br);
  const std::size_t per_line = 64 / elem_bytes;  // pad so workers never share a cache line
  return (elems + per_line - 1) / per_line * per_line;
}

template <class T>
void flash_attention(const Context& ctx, const FlashShape& s, T scale, const T* q, const T* k, const T* v, T* out,
                     T* lse) {
  const int threads = std::max(1, ctx.threads);
  const std::size_t per_thread = flash_scratch_elems_per_thread(s, sizeof(T));
  T* scratch = ctx.ws().get<T>("flash.scratch", static_cast<int64_t>(per_thread) * threads);
  const int64_t n = s.seq_len, nk = s.keys(), d = s.head_dim;
  const int64_t br = tile_rows(s);
  const int64_t tiles = (n + br - 1) / br;
  const int64_t items = s.batch * tiles;
  const int64_t blocks_q = s.layout.active() ? (n + s.layout.block - 1) / s.layout.block : 0;
  const T scale_log2 = static_cast<T>(static_cast<double>(scale) * kLog2e);

  BlasSingleThreaded single;  // one BLAS thread per OpenMP worker (shared/notes: no two spinning pools)
#pragma omp parallel num_threads(threads)
  {
#ifdef _OPENMP
    const int tid = omp_get_thread_num();
#else
    const int tid = 0;
#endif
    Tile<T> tile = carve(scratch + static_cast<std::size_t>(tid) * per_thread, s);
    // Last query tiles first: under a causal mask they are the most expensive, and dynamic
    // scheduling then fills the tail with cheap ones.
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t b = item / tiles, r0 = (tiles - 1 - item % tiles) * br;
      const std::size_t q_off = static_cast<std::size_t>(b * n * d), k_off = static_cast<std::size_t>(b * nk * d);
      const int64_t* blocks = nullptr;
      int64_t nblocks = 0;
      if (s.layout.active()) {
        const int64_t row = (b % s.layout.heads) * blocks_q + r0 / s.layout.block;
        blocks = s.layout.col_idx + s.layout.row_ptr[row];
        nblocks = s.layout.row_ptr[row + 1] - s.layout.row_ptr[row];
      }
      query_tile(s, br, scale_log2, q + q_off, k + k_off, v + k_off, out + q_off, lse == nullptr ? nullptr : lse + b * n,
                 r0, blocks, nblocks, tile);
    }
  }
}

template void flash_attention<float>(const Context&, const FlashShape&, float, const float*, const float*,
                                     const float*, float*, float*);
template void flash_attention<double>(const Context&, const FlashShape&, double, const double*, const double*,
                                      const double*, double*, double*);

}  // namespace attn::ops::cpu
