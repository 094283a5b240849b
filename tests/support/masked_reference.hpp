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
  return attention_by_loops<T>(in, allows);
}

}  // namespace attn::test
