// FLOP conventions.
#pragma once

#include <cstdint>

namespace attn {

// Dense-equivalent FLOPs of exact attention: 4 * B * H * N^2 * d, halved for causal (as
// FlashAttention's benchmarks count).
inline double dense_attention_flops(int64_t heads_total, int64_t seq_len, int64_t head_dim, bool causal) {
  const double f = 4.0 * static_cast<double>(heads_total) * static_cast<double>(seq_len) *
                   static_cast<double>(seq_len) * static_cast<double>(head_dim);
  return causal ? f / 2 : f;
}

}  // namespace attn
