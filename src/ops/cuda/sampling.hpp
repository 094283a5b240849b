// CUDA index sampling. No CUDA types here; weights, probabilities, indices and x are device
// pointers, arguments validated by the entries in ops/sampling.cpp. The draws come from the same
// Philox stream as the CPU's (core/philox.hpp): same key, same element per item.
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "ops/sampling.hpp"

namespace attn::ops::cuda {

template <class T>
void sample_without_replacement(const Context& ctx, const SampleShape& s, const T* weight_a, const T* weight_b,
                                double floor, const Rng& rng, uint64_t offset, int64_t* idx);
void sample_with_replacement(const Context& ctx, const SampleShape& s, const Rng& rng, uint64_t offset, int64_t* idx);
template <class T>
void sample_categorical_rows(const Context& ctx, const SampleShape& s, const T* probs, const Rng& rng, uint64_t offset,
                             int64_t* idx);
template <class T>
void add_gaussian_noise(const Context& ctx, int64_t n, double sd, const Rng& rng, uint64_t offset, T* x);

}  // namespace attn::ops::cuda
