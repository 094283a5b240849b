// One worker per (head, tile of at most 64 rows inside one query block): for each run of adjacent
// active key blocks, cut into 256-key tiles, P = X_t Y_j^T by single-threaded BLAS, the row sums,
// then out_t += P V_j. Like the tiled exact kernel, inactive blocks are never touched.
#include "ops/cpu/block_sparse_product.hpp"

#include <algorithm>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/threads.hpp"
#include "ops/cpu/blas.hpp"

namespace attn::ops::cpu {

namespace {
constexpr int64_t kRows = 64, kCols = 256;
}

std::size_t block_sparse_product_scratch_elems() { return static_cast<std::size_t>(kRows * kCols); }

template <class T>
void block_sparse_product(const Context& ctx, const BlockProductShape& s, const T* x, const T* y, const T* v, T* out,
                          T* rowsum) {
  const int64_t n = s.seq_len, p = s.features, dv = s.value_dim, b = s.layout.block;
  const int64_t blocks = (n + b - 1) / b, per_block = (std::min(b, n) + kRows - 1) / kRows;
  const int64_t items = s.batch * blocks * per_block;
  const int threads = std::max(1, ctx.threads);
  T* scratch = ctx.ws().get<T>("block_sparse_product.scratch",
                               static_cast<int64_t>(block_sparse_product_scratch_elems()) * threads);
  BlasSingleThreaded single;
#pragma omp parallel num_threads(threads)
  {
#ifdef _OPENMP
    T* tile = scratch + static_cast<int64_t>(omp_get_thread_num()) * kRows * kCols;
#else
    T* tile = scratch;
#endif
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t h = item / (blocks * per_block), blk = (item / per_block) % blocks, sub = item % per_block;
      const int64_t r0 = blk * b + sub * kRows, r1 = std::min({r0 + kRows, (blk + 1) * b, n});
      if (r0 >= r1) continue;
      const int64_t rows = r1 - r0;
      const T* xb = x + (h * n + r0) * p;
      T* ob = out + (h * n + r0) * dv;
      T* sb = rowsum + h * n + r0;
      std::fill(ob, ob + rows * dv, T(0));
      std::fill(sb, sb + rows, T(0));
      const int64_t row = (h % s.layout.heads) * blocks + blk;
      const int64_t* cols_of = s.layout.col_idx + s.layout.row_ptr[row];
      const int64_t count = s.layout.row_ptr[row + 1] - s.layout.row_ptr[row];
      for (int64_t e = 0; e < count;) {
        const int64_t j0 = cols_of[e];
        int64_t j1 = j0;
        while (++e < count && cols_of[e] == j1 + 1) ++j1;
        const int64_t hi = std::min(n, (j1 + 1) * b);
        for (int64_t c0 = j0 * b; c0 < hi; c0 += kCols) {
          const int64_t cols = std::min(kCols, hi - c0);
          blas_gemm(Trans::no, Trans::yes, rows, cols, p, T(1), xb, p, y + (h * n + c0) * p, p, T(0), tile, kCols);
          for (int64_t r = 0; r < rows; ++r) {
            T acc = 0;
            for (int64_t c = 0; c < cols; ++c) acc += tile[r * kCols + c];
            sb[r] += acc;
          }
          blas_gemm(Trans::no, Trans::no, rows, dv, cols, T(1), tile, kCols, v + (h * n + c0) * dv, dv, T(1), ob, dv);
        }
      }
    }
  }
}

template void block_sparse_product<float>(const Context&, const BlockProductShape&, const float*, const float*,
                                          const float*, float*, float*);
template void block_sparse_product<double>(const Context&, const BlockProductShape&, const double*, const double*,
                                           const double*, double*, double*);

}  // namespace attn::ops::cpu
