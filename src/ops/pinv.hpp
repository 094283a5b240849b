// Iterative Moore-Penrose pseudo-inverse (Razavi et al. 2014, as Nystromformer uses it):
//   Z0 = W^T / c;  repeat: P = W Z;  Z <- Z (13 I - P (15 I - P (7 I - P))) / 4.
// Third-order convergence; with few iterations it acts as a spectral filter (lowrank.md card 1).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

enum class PinvInit {
  original,  // c = largest column sum of |W| over the whole batch (official default; couples heads)
  exact,     // c = per-head largest column sum times largest row sum (paper formula)
};

struct PinvShape {
  int64_t batch = 1;
  int64_t size = 0;  // W is size x size
  int iterations = 6;
  PinvInit init = PinvInit::original;
};

// w, z: [batch, size, size]. Scratch (three size x size buffers per batch) comes from ctx.workspace.
template <class T>
void newton_schulz_pinv(const Context& ctx, const PinvShape& s, const T* w, T* z);

// Workspace bytes: P, A, T (batch x n x n each; the CPU estimate counts them even without
// iterations, the GPU, exact to its keys, only when it iterates) plus, on the GPU, the scale's
// three norms per matrix ("pinv.norms", doubles).
std::size_t newton_schulz_pinv_scratch_bytes(const PinvShape& s, std::size_t elem_bytes, Device device = Device::cpu);

}  // namespace attn::ops
