// SOFT's Newton-Schulz inverse of a symmetric, entrywise non-negative matrix (official
// SOFT/kernel/inverse.py; kernel.md card 6):
//   per_matrix (newton_inv):      P = A + ridge I, alpha = 0.9 * 2 / (max_i sum_j A_ij)^2, per batch
//   normalized (newton_inv_norm): P = A (+ ridge I), alpha = 2 / (max over ALL batches of row sums)^2,
//                                 halved while max column |.|-sum of (I - alpha P P) > 1.01 (<= 10 times)
//   V0 = alpha P;  repeat `iterations` times: V <- 2 V - V P V.
// Row sums use |A| (the card's pitfall: signed sums are only valid for A >= 0).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

enum class NewtonInit { per_matrix, normalized };

struct NewtonInverseShape {
  int64_t batch = 1;
  int64_t size = 0;
  int iterations = 20;
  double ridge = 0.01;
  NewtonInit init = NewtonInit::per_matrix;
};

// a, v: [batch, size, size]. Scratch (three size x size buffers per batch) from ctx.workspace.
template <class T>
void newton_inverse(const Context& ctx, const NewtonInverseShape& s, const T* a, T* v);

// Workspace bytes: P, T, U (batch x m x m each); the GPU adds its step sizes, row maxima and the
// halving counters (2 batch + kNewtonHalvings doubles).
std::size_t newton_inverse_scratch_bytes(const NewtonInverseShape& s, std::size_t elem_bytes,
                                         Device device = Device::cpu);

}  // namespace attn::ops
