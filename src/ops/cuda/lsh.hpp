// CUDA sign-random-projection LSH: codes, YOSO's bucket cumulation, Scatterbrain's sort by code.
// No CUDA types here; pointers are device pointers, arguments validated by the entries in
// ops/lsh.cpp (same semantics as ops/lsh.hpp).
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "ops/lsh.hpp"

namespace attn::ops::cuda {

template <class T>
void lsh_hash(const Context& ctx, const LshShape& s, const T* x, const T* planes, int32_t* codes);
template <class T>
void lsh_bucket_sum(const Context& ctx, const LshShape& s, int64_t value_dim, const int32_t* q_codes,
                    const int32_t* k_codes, const T* v, T* out);
void lsh_sort(const Context& ctx, const LshShape& s, const int32_t* codes, int64_t* perm);

}  // namespace attn::ops::cuda
