// Attention through feature maps: out_i = sum_j (phi_q_i . phi_k_j) v_j / sum_j (phi_q_i . phi_k_j),
// over all j (bidirectional: two GEMMs through the m x dv state) or j <= i (causal: a chunked scan
// carrying the m x dv prefix state; within a chunk a masked C x C product; no N x m x dv cumsum).
// The denominator guard is the official JAX one: den += 2*eps where |den| <= eps.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "core/half.hpp"

namespace attn::ops {

struct LinearAttentionShape {
  int64_t batch = 1;
  int64_t seq_len = 0;
  int64_t features = 0;  // m: columns of phi_q and phi_k
  int64_t value_dim = 0;
  bool causal = false;
  int64_t chunk = 128;   // causal scan chunk size
  double guard_eps = 1e-6;
  // false: no denominator, out_i = sum_j (phi_q_i . phi_k_j) v_j (the low-rank neural operator's
  // kernel integral; fold any 1/N into phi_q). Returns 0 then.
  bool normalize = true;
};

// phi_q, phi_k: [batch, seq_len, features]; v, out: [batch, seq_len, value_dim].
// Returns the number of rows whose denominator hit the guard (|den| <= eps) or was <= 0.
template <class T>
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const T* phi_q, const T* phi_k,
                         const T* v, T* out);
// fp16 / bf16 phi_q, phi_k, v and output, GPU only (UnsupportedError on the CPU): products on tensor
// cores with fp32 accumulation; the state, key sums, numerator and denominators in fp32; the state
// (and, causal, the masked chunk block) rounded to the type only as a GEMM operand; the output
// rounded once after the fp32 division. Bidirectional and causal, with and without normalize.
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const Half* phi_q, const Half* phi_k,
                         const Half* v, Half* out);
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const BFloat16* phi_q,
                         const BFloat16* phi_k, const BFloat16* v, BFloat16* out);

// Workspace bytes linear_attention takes: per-worker state and chunk blocks on the CPU; on the GPU the
// shared state [B, m, dv], key sums [B, m], denominators [B, N], the bad-row counter and, when causal,
// one chunk block [B, C, C] (none of it scales with host threads). With 16-bit elements (elem_bytes 2)
// on the GPU: the state, key sums, denominators and block in fp32, 16-bit copies of the state and the
// block, and the fp32 numerator [B, N, dv].
std::size_t linear_attention_scratch_bytes(const LinearAttentionShape& s, std::size_t elem_bytes, int threads,
                                           Device device = Device::cpu);

}  // namespace attn::ops
