// CUDA row gathers and scatters. No CUDA types here; indices and rows are device pointers,
// arguments validated by the entries in ops/gather.cpp.
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "ops/gather.hpp"

namespace attn::ops::cuda {

template <class T>
void gather_rows(const Context& ctx, const GatherShape& s, const int64_t* idx, const T* x, T alpha, T beta, T* out);
template <class T>
void scatter_rows(const Context& ctx, const GatherShape& s, const int64_t* idx, const T* x, T* out);

}  // namespace attn::ops::cuda
