// CUDA top-k selection and the matching scatter of a constant. No CUDA types here; pointers are
// device pointers, arguments validated by the entries in ops/topk.cpp (same semantics: positions of
// the k largest in ascending position order, ties to the lower position).
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "ops/topk.hpp"

namespace attn::ops::cuda {

template <class T>
void topk_indices(const Context& ctx, int64_t batch, int64_t n, int64_t k, const T* x, int64_t* idx);
template <class T>
void fill_at(const Context& ctx, int64_t batch, int64_t n, int64_t k, const int64_t* idx, T value, T* x);

}  // namespace attn::ops::cuda
