// LARA's multiple-importance-sampling weights (official efficient_attention/lara.py; kernel.md
// card 3 steps 7-9), in the log domain, for C proposals and N queries of each batch:
//   opt:    BH_c = exp(Lmu[c,c] - lse_c' Lmu[c,:]),
//           alpha_nc = max(BH_c + coeff (aux[c,n] - mean_c' aux[c',n]), 1e-8), logprop_c = Lmu[c,c]
//   bh:     log alpha = 0,              logprop_c = lse_c' Lmu[c,:]
//   biased: log alpha_nc = aux[c,n],    logprop_c = lse_c' Lmu[c,:]
//   L[c,n] = log alpha_nc + Lq[c,n] + lse_k[c] - logprop_c;   out[n, c] = softmax over c of L[:, n].
// With `samples` S > 1 draws per proposal (the code's multisample training mode, generalized), there
// are P = S C sample rows, row p drawn from proposal p % C (the code's mu.repeat order); Lmu[p, c']
// is still taken against the C distinct proposals, and every formula above reads row p with c = p % C
// against the code's repeated proposal list: lse over the S C repeated columns = log S + lse_c'
// Lmu[p, :], and aux[c, n], its mean over c, are those of proposal p % C.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

enum class MisKind { opt, bh, biased };

struct MisShape {
  int64_t batch = 1;
  int64_t proposals = 0;  // C
  int64_t samples = 1;    // S draws per proposal: P = S C sample rows
  int64_t queries = 0;    // N
  MisKind kind = MisKind::opt;
  double alpha_coeff = 1.0;
  bool aux_query_major = false;  // aux laid out [batch, N, C] instead of [batch, C, N]
};

// lq: [batch, P, N]; aux: [batch, C, N] or [batch, N, C] (aux_query_major; unused for bh, may be null then); lse_k: [batch, P];
// lmu: [batch, P, C]; out: [batch, N, P]   (P = samples * proposals; with S = 1 every P is C).
template <class T>
void mis_weights(const Context& ctx, const MisShape& s, const T* lq, const T* lse_k, const T* lmu, const T* aux, T* out);
// Workspace bytes: none on the CPU; on the GPU the per-proposal balance-heuristic weights and log
// proposal densities ("mis_weights.proposal", 2 x batch x P doubles).
std::size_t mis_weights_scratch_bytes(const MisShape& s, Device device = Device::cpu);

}  // namespace attn::ops
