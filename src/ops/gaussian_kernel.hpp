// Gaussian kernel matrix between two point sets (SOFT's P and A): for each batch,
// out[i, j] = exp(-|scale * a_i - scale * b_j|^2 / 2), with the squared distance formed as
// |a|^2 + |b|^2 - 2 a.b (one GEMM) and clamped at 0 against cancellation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct GaussianKernelShape {
  int64_t batch = 1;
  int64_t rows = 0;  // points of a per batch
  int64_t cols = 0;  // points of b per batch
  int64_t dim = 0;
};

// a: [batch, rows, dim]; b: [batch, cols, dim]; out: [batch, rows, cols].
template <class T>
void gaussian_kernel(const Context& ctx, const GaussianKernelShape& s, T scale, const T* a, const T* b, T* out);
// Workspace bytes: none on the CPU; on the GPU the halved squared norms of both point sets
// ("gaussian_kernel.half_sq", batch x (rows + cols) doubles; calls share the key).
std::size_t gaussian_kernel_scratch_bytes(const GaussianKernelShape& s, Device device = Device::cpu);

}  // namespace attn::ops
