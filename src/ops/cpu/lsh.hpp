// CPU LSH ops (validated in ops/lsh.cpp).
#pragma once

#include <cstddef>

#include "ops/lsh.hpp"

namespace attn::ops::cpu {

template <class T>
void lsh_hash(const Context& ctx, const LshShape& s, const T* x, const T* planes, int32_t* codes);
template <class T>
void lsh_bucket_sum(const Context& ctx, const LshShape& s, int64_t value_dim, const int32_t* q_codes,
                    const int32_t* k_codes, const T* v, T* out);
void lsh_sort(const Context& ctx, const LshShape& s, const int32_t* codes, int64_t* perm);

// Workspace elements of T that lsh_bucket_sum takes (one table slice per worker).
std::size_t lsh_bucket_sum_scratch_elems(const LshShape& s, int64_t value_dim, int threads);

}  // namespace attn::ops::cpu
