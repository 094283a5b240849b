// The Scatterbrain combination shared by pixelfly and scatterbrain (sparse.md card 4b): exact
// attention on a block support S plus Performer (hyperbolic, "cosh") random features off it,
//   A_hat = M * exp(s Q K^T) + (1 - M) * phi(Q) phi(K)^T,   O = A_hat V / (A_hat 1),
// where the low-rank term is subtracted on S (nothing counted twice) and the off-support mass is
// clamped at 1e-24 as the official code does. Composed from ops: random_features (with its shifts),
// flash_attention over the layout (with LSE), GEMMs for phi(K)^T [V 1] and phi(Q) of that,
// block_sparse_product for the on-support correction, merge_partials for the one normalizer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/rng.hpp"
#include "methods/method.hpp"
#include "ops/flash_attention.hpp"

namespace attn {

struct SparseLowRankShape {
  int64_t batch = 1;      // heads (B*H)
  int64_t seq_len = 0;
  int64_t head_dim = 0;
  int64_t features = 0;   // m: feature columns (even; 0: no low-rank term, masked softmax only)
  ops::FlashLayout layout;  // the support, on the device
};

// Draws W [m/2, d] (orthogonal Gaussian, chi_d row norms: the card's ortho_scaling = 0) and uploads it.
float* draw_sparse_lowrank_projection(Context& ctx, const Rng& rng, int64_t features, int64_t head_dim,
                                      const std::string& key);

// out = the combination above for q, k, v [batch, seq_len, head_dim]; scratch under `key`.
void sparse_lowrank_forward(Context& ctx, const SparseLowRankShape& s, const float* w, const float* q, const float* k,
                            const float* v, float* out, const std::string& key);

// Bytes sparse_lowrank_forward and the projection hold (the layout's CSR not included).
double sparse_lowrank_workspace_bytes(const SparseLowRankShape& s, int threads, Device device = Device::cpu);

}  // namespace attn
