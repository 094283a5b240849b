// Sign-random-projection LSH (SimHash) and what the hashing methods do with the codes (sparse.md
// card 6, YOSO; Scatterbrain's LSH support): codes, bucket cumulation, and a sort by code.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct LshShape {
  int64_t batch = 1;     // heads, each [seq_len, head_dim]
  int64_t seq_len = 0;
  int64_t head_dim = 0;
  int64_t hashes = 1;    // m independent hash functions
  int64_t bits = 1;      // tau sign bits per hash (1..30)
};

// codes[b, f, i] = sum_t 2^t [planes[b, f * bits + t] . x[b, i] > 0]   (int32).
// x: [batch, seq_len, head_dim]; planes: [batch, hashes * bits, head_dim] (one draw per head).
template <class T>
void lsh_hash(const Context& ctx, const LshShape& s, const T* x, const T* planes, int32_t* codes);

// YOSO's cumulation: out[b, i, :] = (1/m) sum_f sum_{j : k_code[b,f,j] = q_code[b,f,i]} v[b, j, :],
// the unbiased estimate of sum_j (1 - theta_ij / pi)^tau v_j. v, out: [batch, seq_len, value_dim].
// Tables of 2^bits x value_dim per worker, rebuilt for every hash (O(N m d), no atomics).
template <class T>
void lsh_bucket_sum(const Context& ctx, const LshShape& s, int64_t value_dim, const int32_t* q_codes,
                    const int32_t* k_codes, const T* v, T* out);

// Workspace bytes lsh_bucket_sum takes for this shape and thread count: 2^bits x value_dim tables
// split over the CPU workers; on the GPU one whole table per head (batch x 2^bits x value_dim).
std::size_t lsh_bucket_sum_scratch_bytes(const LshShape& s, int64_t value_dim, std::size_t elem_bytes, int threads,
                                         Device device = Device::cpu);

// perm[b, :] = the positions of codes[b, 0, :] (the first hash) sorted by code, stable (ties keep
// sequence order): the order in which Scatterbrain's buckets are cut into chunks.
void lsh_sort(const Context& ctx, const LshShape& s, const int32_t* codes, int64_t* perm);
// Workspace bytes lsh_sort takes: none on the CPU; on the GPU the key pairs, positions, segment
// offsets and CUB's temporary storage (its two alternate buffers, 256-byte aligned, plus 255).
std::size_t lsh_sort_scratch_bytes(const LshShape& s, Device device = Device::cpu);

}  // namespace attn::ops
