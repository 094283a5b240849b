// Validated entries of the LSH op family.
#include "ops/lsh.hpp"

#include <algorithm>

#include "ops/cpu/lsh.hpp"
#include "ops/cuda/lsh.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

namespace {
void check(const LshShape& s) {
  ATTN_CHECK(s.batch >= 1 && s.seq_len >= 1 && s.head_dim >= 1 && s.hashes >= 1, "lsh: sizes must be positive");
  ATTN_CHECK(s.bits >= 0 && s.bits <= 30, "lsh: bits must be in [0, 30]");
}
}  // namespace

template <class T>
void lsh_hash(const Context& ctx, const LshShape& s, const T* x, const T* planes, int32_t* codes) {
  check(s);
  ATTN_CHECK(x != nullptr && codes != nullptr && (planes != nullptr || s.bits == 0), "lsh_hash: null operand");
  ATTN_DISPATCH(ctx, "lsh_hash", cpu::lsh_hash(ctx, s, x, planes, codes),
                cuda::lsh_hash(ctx, s, x, planes, codes));
}

template <class T>
void lsh_bucket_sum(const Context& ctx, const LshShape& s, int64_t value_dim, const int32_t* q_codes,
                    const int32_t* k_codes, const T* v, T* out) {
  check(s);
  ATTN_CHECK(value_dim >= 1 && q_codes != nullptr && k_codes != nullptr && v != nullptr && out != nullptr,
             "lsh_bucket_sum: bad operands");
  ATTN_CHECK(ctx.workspace != nullptr, "lsh_bucket_sum: the context needs a workspace for its tables");
  ATTN_DISPATCH(ctx, "lsh_bucket_sum", cpu::lsh_bucket_sum(ctx, s, value_dim, q_codes, k_codes, v, out),
                cuda::lsh_bucket_sum(ctx, s, value_dim, q_codes, k_codes, v, out));
}

std::size_t lsh_bucket_sum_scratch_bytes(const LshShape& s, int64_t value_dim, std::size_t elem_bytes, int threads,
                                         Device device) {
  if (device == Device::cuda)  // "lsh.tables" of ops/cuda/lsh.cu
    return static_cast<std::size_t>(s.batch * (int64_t{1} << s.bits) * value_dim) * elem_bytes;
  const int workers = static_cast<int>(std::min<int64_t>(std::max(1, threads), value_dim));
  return cpu::lsh_bucket_sum_scratch_elems(s, value_dim, workers) * elem_bytes;
}

std::size_t lsh_sort_scratch_bytes(const LshShape& s, Device device) {
  if (device != Device::cuda) return 0;
  const auto items = static_cast<std::size_t>(s.batch * s.seq_len);
  auto aligned = [](std::size_t bytes) { return (bytes + 255) / 256 * 256; };
  // CUB's DeviceSegmentedRadixSort::SortPairs (not overwrite-okay): alternate key and value buffers.
  const std::size_t cub_temp = aligned(items * sizeof(int32_t)) + aligned(items * sizeof(int64_t)) + 255;
  return 2 * items * sizeof(int32_t) + items * sizeof(int64_t) + static_cast<std::size_t>(s.batch + 1) * sizeof(int) +
         cub_temp;
}

void lsh_sort(const Context& ctx, const LshShape& s, const int32_t* codes, int64_t* perm) {
  check(s);
  ATTN_CHECK(codes != nullptr && perm != nullptr, "lsh_sort: null operand");
  ATTN_DISPATCH(ctx, "lsh_sort", cpu::lsh_sort(ctx, s, codes, perm),
                cuda::lsh_sort(ctx, s, codes, perm));
}

template void lsh_hash<float>(const Context&, const LshShape&, const float*, const float*, int32_t*);
template void lsh_hash<double>(const Context&, const LshShape&, const double*, const double*, int32_t*);
template void lsh_bucket_sum<float>(const Context&, const LshShape&, int64_t, const int32_t*, const int32_t*,
                                    const float*, float*);
template void lsh_bucket_sum<double>(const Context&, const LshShape&, int64_t, const int32_t*, const int32_t*,
                                     const double*, double*);

}  // namespace attn::ops
