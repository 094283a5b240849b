// Luna's causal nested attention (kernel.md card 5, the official LunarCausalAttention):
//   A[i, j] = elu(scale * k_i . p_j) + 1                       (N x l pack weights, positive, unnormalized)
//   K~_t = (1/t) sum_{i<=t} A[i, :]^T k_i,  V~_t = (1/t) sum_{i<=t} A[i, :]^T v_i   (l x d each)
//   out_t = softmax_j(scale * q_t . K~_t[j]) V~_t
// The normalisation is by the count t, not by sum A, so out_t is not a convex combination of values.
// Computed as a chunked scan: the state is the two l x d prefix sums; within a chunk of C rows the
// terms of the chunk's own keys come from masked C x C products, so nothing is N x N or N x l x d.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct NestedCausalShape {
  int64_t batch = 1;       // independent heads
  int64_t seq_len = 0;     // N
  int64_t head_dim = 0;    // d of q, k and p
  int64_t value_dim = 0;   // dv of v and out
  int64_t pack_len = 0;    // l
  int64_t pack_stride = 0; // elements between heads' pack sequences (0: one P for every head)
  int64_t chunk = 64;      // scan chunk C
};

// q, k: [batch, N, d]; p: [l, d] per head at pack_stride; v, out: [batch, N, dv].
template <class T>
void nested_causal_attention(const Context& ctx, const NestedCausalShape& s, T scale, const T* p, const T* q,
                             const T* k, const T* v, T* out);

// Workspace bytes: one state-and-chunk block per worker on the CPU; on the GPU one per head (all
// heads go through each cuBLAS call): the l x d and l x dv states, pack and logits (C x l), C x C.
std::size_t nested_causal_attention_scratch_bytes(const NestedCausalShape& s, std::size_t elem_bytes, int threads,
                                                  Device device = Device::cpu);

}  // namespace attn::ops
