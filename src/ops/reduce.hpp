// Small reductions shared by methods and metrics.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

// out[b, i, :] = mean of x[b, 0..N) (or of x[b, 0..i] when causal): the mean-of-V baseline.
template <class T>
void mean_rows(const Context& ctx, int64_t batch, int64_t seq_len, int64_t dim, bool causal, const T* x, T* out);
// Workspace bytes mean_rows takes: none on the CPU; on the GPU its chunk partial sums and totals
// ("mean_rows.partials", batch x (chunks + 1) x dim doubles).
std::size_t mean_rows_scratch_bytes(int64_t batch, int64_t seq_len, int64_t dim, Device device = Device::cpu);

}  // namespace attn::ops
