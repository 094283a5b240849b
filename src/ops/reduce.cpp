// Validated entry of the small reductions.
#include "ops/reduce.hpp"

#include "ops/cpu/reduce.hpp"
#include "ops/cuda/reduce.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void mean_rows(const Context& ctx, int64_t batch, int64_t seq_len, int64_t dim, bool causal, const T* x, T* out) {
  ATTN_CHECK(batch > 0 && seq_len > 0 && dim > 0, "mean_rows: sizes must be positive");
  ATTN_CHECK(x != nullptr && out != nullptr, "mean_rows: null operand");
  ATTN_DISPATCH(ctx, "mean_rows", cpu::mean_rows(ctx, batch, seq_len, dim, causal, x, out),
                cuda::mean_rows(ctx, batch, seq_len, dim, causal, x, out));
}

std::size_t mean_rows_scratch_bytes(int64_t batch, int64_t seq_len, int64_t dim, Device device) {
  if (device != Device::cuda) return 0;
  const int64_t chunks = (seq_len + cuda::kMeanRowsChunk - 1) / cuda::kMeanRowsChunk;
  return static_cast<std::size_t>(batch * (chunks + 1) * dim) * sizeof(double);
}

template void mean_rows<float>(const Context&, int64_t, int64_t, int64_t, bool, const float*, float*);
template void mean_rows<double>(const Context&, int64_t, int64_t, int64_t, bool, const double*, double*);

}  // namespace attn::ops
