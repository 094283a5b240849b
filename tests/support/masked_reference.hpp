// Softmax attention restricted to an arbitrary per-head predicate allows(head, i, j), by plain loops
// (fp64 reference or fp32 "plain implementation"), for methods whose mask is not an AttentionMask:
// block layouts, global tokens.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "support/method_harness.hpp"

namespace attn::test {

using Allows = std::function<bool(int64_t head, int64_t i, int64_t j)>;

template <class T>
std::vector<T> masked_attention(const Inputs& in, const Allows& allows) {
  const int64_t n = in.shape.seq_len, d = in.shape.head_dim;
  std::vector<T> out(in.q.size()), p(static_cast<size_t>(n));
  const T scale = T(1) / std::sqrt(T(d));
  for (int64_t h = 0; h < in.shape.heads_total(); ++h) {
    const float* q = in.q.data() + h * n * d;
    const float* k = in.k.data() + h * n * d;
    const float* v = in.v.data() + h * n * d;
    T* o = out.data() + h * n * d;
    for (int64_t i = 0; i < n; ++i) {
      T mx = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < n; ++j) {
        if (!allows(h, i, j)) continue;
        T s = 0;
        for (int64_t c = 0; c < d; ++c) s += T(q[i * d + c]) * T(k[j * d + c]);
        p[j] = s * scale;
        mx = std::max(mx, p[j]);
      }
      T sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        p[j] = allows(h, i, j) ? std::exp(p[j] - mx) : T(0);
        sum += p[j];
      }
      for (int64_t c = 0; c < d; ++c) {
        T acc = 0;
        for (int64_t j = 0; j < n; ++j) acc += p[j] * T(v[j * d + c]);
        o[i * d + c] = sum > 0 ? acc / sum : T(0);
      }
    }
  }
  return out;
}

}  // namespace attn::test
