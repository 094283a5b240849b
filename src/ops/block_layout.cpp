// Host-side layout builders (the patterns of sparse.md cards 1c, 2, 3, 4a), the realized density,
// the upload, and the validated entry of the device-side construction.
#include "ops/block_layout.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "ops/cpu/block_layout.hpp"
#include "ops/cuda/block_layout.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

namespace {

int64_t block_count(int64_t seq_len, int64_t block) {
  ATTN_CHECK(seq_len > 0 && block > 0, "block layout: seq_len and block must be positive");
  return (seq_len + block - 1) / block;
}

using Rows = std::vector<std::vector<std::vector<int64_t>>>;  // [head][query block] -> key blocks

// One head whose row I holds the blocks J with keep(I, J).
template <class Keep>
BlockLayout single(int64_t seq_len, int64_t block, Keep keep) {
  const int64_t nb = block_count(seq_len, block);
  Rows rows(1, std::vector<std::vector<int64_t>>(static_cast<size_t>(nb)));
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t j = 0; j < nb; ++j)
      if (keep(i, j)) rows[0][i].push_back(j);
  return layout_from_rows(seq_len, block, rows);
}

// `count` distinct draws from a pool of `size` values, value(p) at position p (partial Fisher-Yates on
// stream positions base, base + 1, ...). Only the displaced positions are stored, so a draw costs
// O(count) whatever the pool's size: BigBird at N = 128K has pools of 2K blocks for each of 2K rows
// and 16 heads, and materializing them made expanding a spec take seconds per case.
template <class Value>
std::vector<int64_t> draw_distinct(int64_t size, const Value& value, int64_t count, const Rng& rng, uint64_t base) {
  count = std::clamp<int64_t>(count, 0, size);
  std::unordered_map<int64_t, int64_t> moved;  // position -> the value swapped into it
  auto at = [&](int64_t p) {
    const auto it = moved.find(p);
    return it == moved.end() ? value(p) : it->second;
  };
  std::vector<int64_t> out(static_cast<size_t>(count));
  for (int64_t t = 0; t < count; ++t) {
    const auto pick = t + static_cast<int64_t>(rng.below(base + t, static_cast<uint64_t>(size - t)));
    const int64_t drawn = at(pick);
    moved[pick] = at(t);
    out[static_cast<size_t>(t)] = drawn;
  }
  return out;
}

std::vector<int64_t> draw_distinct(const std::vector<int64_t>& pool, int64_t count, const Rng& rng, uint64_t base) {
  return draw_distinct(
      static_cast<int64_t>(pool.size()), [&](int64_t p) { return pool[static_cast<size_t>(p)]; }, count, rng, base);
}

// The integers of [lo, hi) without `skip`, in increasing order, without storing them: position p
// holds lo + p shifted past every skipped value at or below it.
struct RangeWithout {
  RangeWithout(int64_t lo, int64_t hi, std::initializer_list<int64_t> skip) : lo(lo) {
    for (int64_t j : skip)
      if (j >= lo && j < hi && std::find(skipped.begin(), skipped.end(), j) == skipped.end()) skipped.push_back(j);
    std::sort(skipped.begin(), skipped.end());
    size = hi > lo ? hi - lo - static_cast<int64_t>(skipped.size()) : 0;
  }
  int64_t operator()(int64_t p) const {
    int64_t v = lo + p;
    for (int64_t j : skipped) v += j <= v ? 1 : 0;
    return v;
  }
  int64_t lo, size = 0;
  std::vector<int64_t> skipped;
};

std::vector<int64_t> range_without(int64_t lo, int64_t hi, std::initializer_list<int64_t> skip) {
  const RangeWithout range(lo, hi, skip);
  std::vector<int64_t> out(static_cast<size_t>(range.size));
  for (int64_t p = 0; p < range.size; ++p) out[static_cast<size_t>(p)] = range(p);
  return out;
}

// The official random-block pools (card 3, "Random-block table"): for N in {1024, ..., 4096} the
// 4096-token table with last_idx = 1024 (rows near the end use the "Missing -3/-4" pools that may
// hit the window or the last block); otherwise the first 2r + 5 blocks without the globals of that
// plan segment. Duplicates are later removed by layout_from_rows (the official code counts them twice).
std::vector<int64_t> official_pool(int64_t seq_len, int64_t block, int64_t nb, int64_t r, int64_t i) {
  const bool paper_plan = (seq_len == 1024 || seq_len == 2048 || seq_len == 3072 || seq_len == 4096) && 4096 % block == 0;
  if (paper_plan) {
    const int64_t nb4k = 4096 / block;
    const int64_t last = 1024 / block > 2 ? 1024 / block - 1 : nb4k - 1;
    std::vector<int64_t> middle;  // official middle_seq = 1 .. nb4k - 2
    for (int64_t j = 1; j < nb4k - 1; ++j) middle.push_back(j);
    auto slice = [&](int64_t a, int64_t b) {
      b = std::min<int64_t>(b, static_cast<int64_t>(middle.size()));
      return a < b ? std::vector<int64_t>(middle.begin() + a, middle.begin() + b) : std::vector<int64_t>{};
    };
    if (i == 1) return slice(2, last);
    if (i == 2) return slice(3, last);
    if (i == nb4k - 3 || i == nb4k - 2) return slice(0, last);
    const int64_t start = i - 2, end = i;
    if (start > last) return slice(0, last);
    if (end + 1 == last) return slice(0, start);
    auto pool = slice(0, start);
    const auto tail = slice(end + 1, last);
    pool.insert(pool.end(), tail.begin(), tail.end());
    return pool;
  }
  const int64_t hi = 2 * r + 5 < nb ? 2 * r + 4 : nb - 1;  // blocks 1 .. 2r + 3 (r = 3: 1 .. 9)
  return range_without(1, hi, {i - 1, i, i + 1});
}

}  // namespace

bool BlockLayout::has(int64_t head, int64_t i, int64_t j) const {
  const int64_t row = (head % heads) * blocks + i;
  return std::binary_search(col_idx.begin() + row_ptr[row], col_idx.begin() + row_ptr[row + 1], j);
}

double BlockLayout::density(const AttentionMask& mask) const {
  double allowed = 0;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < blocks; ++i) {
      const int64_t r0 = i * block, r1 = std::min(seq_len, r0 + block);
      for (int64_t e = row_ptr[h * blocks + i]; e < row_ptr[h * blocks + i + 1]; ++e) {
        const int64_t c0 = col_idx[e] * block, c1 = std::min(seq_len, c0 + block);
        if (mask.is_full()) {
          allowed += static_cast<double>((r1 - r0) * (c1 - c0));
          continue;
        }
        for (int64_t r = r0; r < r1; ++r) {
          int64_t lo = 0, hi = 0;
          mask.key_range(r, r + 1, seq_len, &lo, &hi);
          allowed += static_cast<double>(std::max<int64_t>(0, std::min(hi, c1) - std::max(lo, c0)));
        }
      }
    }
  return allowed / (static_cast<double>(heads) * static_cast<double>(seq_len) * static_cast<double>(seq_len));
}

BlockLayout layout_from_rows(int64_t seq_len, int64_t block, const Rows& rows) {
  BlockLayout l;
  l.seq_len = seq_len;
  l.block = block;
  l.blocks = block_count(seq_len, block);
  l.heads = static_cast<int64_t>(rows.size());
  ATTN_CHECK(l.heads >= 1, "block layout: at least one head");
  l.row_ptr.push_back(0);
  for (const auto& head : rows) {
    ATTN_CHECK(static_cast<int64_t>(head.size()) == l.blocks, "block layout: one row per query block");
    for (auto row : head) {
      std::sort(row.begin(), row.end());
      row.erase(std::unique(row.begin(), row.end()), row.end());
      for (int64_t j : row) ATTN_CHECK(j >= 0 && j < l.blocks, "block layout: key block out of range");
      l.col_idx.insert(l.col_idx.end(), row.begin(), row.end());
      l.row_ptr.push_back(static_cast<int64_t>(l.col_idx.size()));
    }
  }
  return l;
}

BlockLayout full_layout(int64_t seq_len, int64_t block) {
  return single(seq_len, block, [](int64_t, int64_t) { return true; });
}

BlockLayout local_layout(int64_t seq_len, int64_t block, int64_t radius) {
  return single(seq_len, block, [&](int64_t i, int64_t j) { return std::abs(i - j) <= radius; });
}

BlockLayout strided_layout(int64_t seq_len, int64_t block, int64_t stride) {
  ATTN_CHECK(stride >= 1, "strided layout: stride must be >= 1");
  return single(seq_len, block, [&](int64_t i, int64_t j) { return (i - j) % stride == 0; });
}

BlockLayout random_layout(int64_t seq_len, int64_t block, int64_t heads, int64_t per_row, const Rng& rng) {
  const int64_t nb = block_count(seq_len, block);
  Rows rows(static_cast<size_t>(heads), std::vector<std::vector<int64_t>>(static_cast<size_t>(nb)));
  for (int64_t h = 0; h < heads; ++h) {
    const Rng head_rng = rng.derive(static_cast<uint64_t>(h));
    for (int64_t i = 0; i < nb; ++i) {
      const RangeWithout others(0, nb, {i});
      auto row = draw_distinct(others.size, others, per_row - 1, head_rng, static_cast<uint64_t>(i * nb));
      row.push_back(i);
      rows[h][i] = std::move(row);
    }
  }
  return layout_from_rows(seq_len, block, rows);
}

BlockLayout butterfly_layout(int64_t seq_len, int64_t block, int64_t size, int64_t factors, int64_t global_tokens) {
  ATTN_CHECK(size >= 1 && (size & (size - 1)) == 0, "butterfly layout: size must be a power of two");
  const int64_t nb = block_count(seq_len, block);
  const int64_t per_entry = (nb + size - 1) / size;
  const int64_t global_blocks = (global_tokens + block - 1) / block;
  return single(seq_len, block, [&](int64_t i, int64_t j) {
    if (i < global_blocks || j < global_blocks) return true;
    const int64_t x = (i / per_entry) ^ (j / per_entry);
    if (x == 0) return true;
    return (x & (x - 1)) == 0 && x < (int64_t{1} << factors);
  });
}

BlockLayout bigbird_layout(int64_t seq_len, int64_t block, int64_t heads, int64_t rand_blocks, BigBirdSampler sampler,
                           const Rng& rng) {
  const int64_t nb = block_count(seq_len, block);
  ATTN_CHECK(nb >= 5, "bigbird layout: needs at least 5 blocks");
  Rows rows(static_cast<size_t>(heads), std::vector<std::vector<int64_t>>(static_cast<size_t>(nb)));
  std::vector<int64_t> all(static_cast<size_t>(nb));
  std::iota(all.begin(), all.end(), int64_t{0});
  for (int64_t h = 0; h < heads; ++h) {
    const Rng head_rng = rng.derive(static_cast<uint64_t>(h));
    rows[h][0] = rows[h][nb - 1] = all;
    for (int64_t i = 1; i < nb - 1; ++i) {
      std::vector<int64_t> row;
      if (sampler == BigBirdSampler::uniform_legal) {
        const RangeWithout legal(1, nb - 1, {i - 1, i, i + 1});
        row = draw_distinct(legal.size, legal, rand_blocks, head_rng, static_cast<uint64_t>(i * nb));
      } else {
        row = draw_distinct(official_pool(seq_len, block, nb, rand_blocks, i), rand_blocks, head_rng,
                            static_cast<uint64_t>(i * nb));
      }
      for (int64_t j : {int64_t{0}, i - 1, i, i + 1, nb - 1}) row.push_back(j);
      rows[h][i] = std::move(row);
    }
  }
  return layout_from_rows(seq_len, block, rows);
}

FlashLayout upload_layout(const Context& ctx, const BlockLayout& layout, std::string_view key) {
  const std::string k(key);
  auto* row_ptr = ctx.ws().get<int64_t>(k + ".row_ptr", static_cast<int64_t>(layout.row_ptr.size()));
  auto* col_idx = ctx.ws().get<int64_t>(k + ".col_idx", std::max<int64_t>(1, layout.active_blocks()));
  copy_bytes(row_ptr, ctx.device, layout.row_ptr.data(), Device::cpu, layout.row_ptr.size() * sizeof(int64_t));
  copy_bytes(col_idx, ctx.device, layout.col_idx.data(), Device::cpu, layout.col_idx.size() * sizeof(int64_t));
  return FlashLayout{.block = layout.block, .heads = layout.heads, .row_ptr = row_ptr, .col_idx = col_idx};
}

void layout_from_indices(const Context& ctx, int64_t heads, int64_t blocks, int64_t count, const int64_t* idx,
                         int64_t* row_ptr, int64_t* col_idx) {
  ATTN_CHECK(heads >= 1 && blocks >= 1 && count >= 0 && count <= blocks * blocks,
             "layout_from_indices: need heads, blocks >= 1 and 0 <= count <= blocks^2");
  ATTN_CHECK(idx != nullptr && row_ptr != nullptr && col_idx != nullptr, "layout_from_indices: null operand");
  ATTN_DISPATCH(ctx, "layout_from_indices", cpu::layout_from_indices(ctx, heads, blocks, count, idx, row_ptr, col_idx),
                cuda::layout_from_indices(ctx, heads, blocks, count, idx, row_ptr, col_idx));
}

}  // namespace attn::ops
