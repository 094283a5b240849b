// CUDA small reductions (the mean-of-V baseline). No CUDA types here; pointers are device pointers,
// arguments validated by the entry in ops/reduce.cpp.
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "ops/reduce.hpp"

namespace attn::ops::cuda {

// Rows per scan chunk of mean_rows: its scratch is batch * (chunks + 1) * dim doubles.
inline constexpr long long kMeanRowsChunk = 64;

template <class T>
void mean_rows(const Context& ctx, int64_t batch, int64_t seq_len, int64_t dim, bool causal, const T* x, T* out);

}  // namespace attn::ops::cuda
