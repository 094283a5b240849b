// Validated entries of the index samplers.
#include "ops/sampling.hpp"

#include "ops/cpu/sampling.hpp"
#include "ops/cuda/sampling.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

template <class T>
void sample_without_replacement(const Context& ctx, const SampleShape& s, const T* weight_a, const T* weight_b,
                                double floor, const Rng& rng, uint64_t offset, int64_t* idx) {
  ATTN_CHECK(s.batch > 0 && s.n > 0 && s.count > 0, "sample_without_replacement: sizes must be positive");
  ATTN_CHECK(s.count <= s.n, "sample_without_replacement: count exceeds the population");
  ATTN_CHECK(floor >= 0 && idx != nullptr, "sample_without_replacement: bad operands");
  ATTN_DISPATCH(ctx, "sample_without_replacement",
                cpu::sample_without_replacement(ctx, s, weight_a, weight_b, floor, rng, offset, idx),
                cuda::sample_without_replacement(ctx, s, weight_a, weight_b, floor, rng, offset, idx));
}

std::size_t sample_without_replacement_scratch_bytes(const SampleShape& s, Device device) {
  return device == Device::cuda ? static_cast<std::size_t>(s.batch * s.n) * sizeof(double) : 0;
}

void sample_with_replacement(const Context& ctx, const SampleShape& s, const Rng& rng, uint64_t offset, int64_t* idx) {
  ATTN_CHECK(s.batch > 0 && s.n > 0 && s.count > 0 && idx != nullptr, "sample_with_replacement: bad operands");
  ATTN_DISPATCH(ctx, "sample_with_replacement", cpu::sample_with_replacement(ctx, s, rng, offset, idx),
                cuda::sample_with_replacement(ctx, s, rng, offset, idx));
}

template <class T>
void sample_categorical_rows(const Context& ctx, const SampleShape& s, const T* probs, const Rng& rng, uint64_t offset,
                             int64_t* idx) {
  ATTN_CHECK(s.batch > 0 && s.n > 0 && s.count > 0, "sample_categorical_rows: sizes must be positive");
  ATTN_CHECK(probs != nullptr && idx != nullptr, "sample_categorical_rows: null operand");
  ATTN_DISPATCH(ctx, "sample_categorical_rows", cpu::sample_categorical_rows(ctx, s, probs, rng, offset, idx),
                cuda::sample_categorical_rows(ctx, s, probs, rng, offset, idx));
}

template <class T>
void add_gaussian_noise(const Context& ctx, int64_t n, double sd, const Rng& rng, uint64_t offset, T* x) {
  ATTN_CHECK(n >= 0 && sd >= 0 && (n == 0 || x != nullptr), "add_gaussian_noise: bad operands");
  ATTN_DISPATCH(ctx, "add_gaussian_noise", cpu::add_gaussian_noise(ctx, n, sd, rng, offset, x),
                cuda::add_gaussian_noise(ctx, n, sd, rng, offset, x));
}

template void add_gaussian_noise<float>(const Context&, int64_t, double, const Rng&, uint64_t, float*);
template void add_gaussian_noise<double>(const Context&, int64_t, double, const Rng&, uint64_t, double*);
template void sample_without_replacement<float>(const Context&, const SampleShape&, const float*, const float*, double,
                                                const Rng&, uint64_t, int64_t*);
template void sample_without_replacement<double>(const Context&, const SampleShape&, const double*, const double*,
                                                 double, const Rng&, uint64_t, int64_t*);
template void sample_categorical_rows<float>(const Context&, const SampleShape&, const float*, const Rng&, uint64_t,
                                             int64_t*);
template void sample_categorical_rows<double>(const Context&, const SampleShape&, const double*, const Rng&, uint64_t,
                                              int64_t*);

}  // namespace attn::ops
