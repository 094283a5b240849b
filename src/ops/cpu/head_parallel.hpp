// The threading rule of the per-head scan ops (linear attention, Luna's nested causal attention):
// several heads run in parallel, one per worker, with single-threaded BLAS so OpenMP's and
// OpenBLAS's pools never compete; a single head runs its products on threaded BLAS instead. Each
// worker owns one block of scratch, indexed by the worker id passed to `fn`.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/threads.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn::ops::cpu {

inline int head_workers(int64_t heads, int threads) {
  return static_cast<int>(std::clamp<int64_t>(heads, 1, std::max(1, threads)));
}

// Calls fn(head, worker) for every head in [0, heads) and returns the sum of what it returns.
template <class Fn>
int64_t for_each_head(int64_t heads, int workers, Fn&& fn) {
  int64_t total = 0;
  if (workers <= 1) {
    for (int64_t b = 0; b < heads; ++b) total += fn(b, 0);
    return total;
  }
  BlasSingleThreaded single;
#pragma omp parallel for num_threads(workers) schedule(dynamic, 1) reduction(+ : total)
  for (int64_t b = 0; b < heads; ++b) {
#ifdef _OPENMP
    const int id = omp_get_thread_num();
#else
    const int id = 0;
#endif
    total += fn(b, id);
  }
  return total;
}

}  // namespace attn::ops::cpu
