// The budget mappings and layout choices that several sparse methods share (block-sparse-flash,
// bigbird, pixelfly): one place for card 3's random-block count and card 4's butterfly factors.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "methods/budget_helpers.hpp"
#include "ops/block_layout.hpp"

namespace attn {

// Smallest power of two >= x.
inline int64_t next_pow2(int64_t x) {
  int64_t p = 1;
  while (p < x) p <<= 1;
  return p;
}

inline int64_t log2_exact(int64_t p) {
  int64_t t = 0;
  while ((int64_t{1} << t) < p) ++t;
  return t;
}

// Card 4: butterfly size B = nb rounded up to a power of two (one entry per block; blocks past nb
// do not exist), k = clamp(round(rho nb - 1), 1, log2 B).
inline int64_t butterfly_factors_for(double rho, int64_t nb) {
  return std::clamp<int64_t>(round_to_int(rho * static_cast<double>(nb) - 1), 1, std::max<int64_t>(1, log2_exact(next_pow2(nb))));
}

inline ops::BlockLayout butterfly_for(int64_t seq_len, int64_t block, int64_t factors, int64_t global_tokens) {
  const int64_t nb = (seq_len + block - 1) / block;
  return ops::butterfly_layout(seq_len, block, next_pow2(nb), factors, global_tokens);
}

// Card 3: r = clamp(round((rho nb^2 - 7 nb + 12) / (nb - 2)), 0, nb - 5) (0 below 5 blocks, where
// the layout falls back to full attention).
inline int64_t bigbird_rand_blocks_for(double rho, int64_t nb) {
  if (nb < 5) return 0;
  const double x = (rho * static_cast<double>(nb * nb) - 7.0 * static_cast<double>(nb) + 12.0) /
                   static_cast<double>(nb - 2);
  return std::clamp<int64_t>(round_to_int(x), 0, nb - 5);
}

// BigBird's layout; below 5 blocks the official block-sparse path does not exist and Hugging Face
// falls back to full attention, which is what this returns (a full layout).
inline ops::BlockLayout bigbird_for(const CaseShape& s, int64_t block, int64_t rand_blocks, ops::BigBirdSampler sampler,
                                    const Rng& rng) {
  const int64_t nb = (s.seq_len + block - 1) / block;
  if (nb < 5) return ops::full_layout(s.seq_len, block);
  return ops::bigbird_layout(s.seq_len, block, s.heads, rand_blocks, sampler, rng);
}

// What the estimates (realized density, flops, workspace) need of a layout.
struct LayoutFacts {
  double density = 0;  // under the causal mask when asked for (computing that walks every row)
  double bytes = 0;
};

// The facts of the estimate layout `build` makes (drawn from a fixed stream, so they depend only on
// the method, the shape and the parameters), memoized: expanding a spec asks for them three times per
// case and again for every head dim and dtype, and drawing a BigBird layout at N = 128K with 16 heads
// takes a tenth of a second.
inline LayoutFacts layout_facts(std::string_view method, const CaseShape& s, const ParamSet& p, bool causal_density,
                                const std::function<ops::BlockLayout()>& build) {
  static std::mutex mutex;
  static std::map<std::string, LayoutFacts> memo;
  constexpr std::size_t kMaxEntries = 4096;
  const std::string key = std::string(method) + "|" + std::to_string(s.batch) + "|" + std::to_string(s.heads) + "|" +
                          std::to_string(s.seq_len) + "|" + (causal_density ? "causal" : "full") + "|" +
                          p.to_json().dump();
  {
    const std::lock_guard<std::mutex> lock(mutex);
    if (const auto it = memo.find(key); it != memo.end()) return it->second;
  }
  const ops::BlockLayout layout = build();
  const LayoutFacts facts{layout.density({.causal = causal_density}), static_cast<double>(layout.bytes())};
  const std::lock_guard<std::mutex> lock(mutex);
  if (memo.size() >= kMaxEntries) memo.clear();
  memo.emplace(key, facts);
  return facts;
}

}  // namespace attn
