// Which (query i, key j) pairs an exact-softmax kernel may attend to. Everything outside the mask
// gets probability exactly 0 (skipped, never a finite -1e4). Shared by the tiled exact kernel and
// by the methods that are exact attention restricted to a structured mask (local windows, blocks).
#pragma once

#include <cstdint>

namespace attn::ops {

struct AttentionMask {
  bool causal = false;   // j <= i
  int64_t window = -1;   // sliding window radius: |i - j| <= window (-1: unbounded)
  int64_t block = 0;     // disjoint blocks of this many tokens: i / block == j / block (0: off)
  int64_t block_halo = 0;  // with block: keys also reach this many tokens past each side of the
                           // query's block (the blockwise sliding window, sparse.md card 2D)

  bool allows(int64_t i, int64_t j) const {
    if (causal && j > i) return false;
    if (window >= 0 && (j > i + window || j < i - window)) return false;
    if (block > 0) {
      const int64_t start = i / block * block;
      if (j < start - block_halo || j >= start + block + block_halo) return false;
    }
    return true;
  }
  // Range of keys [lo, hi) that rows [r0, r1) can reach; tiles outside it are skipped whole.
  void key_range(int64_t r0, int64_t r1, int64_t n, int64_t* lo, int64_t* hi) const;
  // Number of allowed (i, j) pairs for an n x n problem (closed forms, O(1); O(n) with a halo).
  int64_t count_allowed(int64_t n) const;
  bool is_full() const { return !causal && window < 0 && block <= 0; }
};

}  // namespace attn::ops
