// The generator moved into core/philox.hpp (shared with the CUDA ops) must draw exactly what Rng drew
// before: golden values recorded from the previous rng.cpp (commit 9125293) for keys, bits, uniforms,
// normals, bounded integers and a raw block; and the one-block forms of uniform, normal and below
// (each reads its two or four stream elements from one Philox block) must equal the element-wise
// formulas they replaced, over indices that cross block and 32-bit counter boundaries and reach the
// top of the 64-bit range (where 2 i and 4 i wrap).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numbers>

#include "core/philox.hpp"
#include "core/rng.hpp"

namespace attn {
namespace {

// The previous element-wise formulas, written from Rng::bits only.
double old_uniform(const Rng& r, uint64_t i) {
  const uint64_t hi = r.bits(2 * i), lo = r.bits(2 * i + 1);
  const uint64_t k = ((hi << 32) | lo) >> 11;
  return (static_cast<double>(k) + 0.5) * (1.0 / 9007199254740992.0);
}
double old_normal(const Rng& r, uint64_t i) {
  const double u1 = old_uniform(r, 2 * i), u2 = old_uniform(r, 2 * i + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}
uint64_t old_below(const Rng& r, uint64_t i, uint64_t bound) {
  const uint64_t x = (static_cast<uint64_t>(r.bits(2 * i)) << 32) | r.bits(2 * i + 1);
  __extension__ using u128 = unsigned __int128;
  return static_cast<uint64_t>((static_cast<u128>(x) * bound) >> 64);
}

TEST(CorePhilox, GoldenValuesOfThePreviousGenerator) {
  const Rng a(42, "case", "purpose");
  const Rng b(0x0123456789abcdefull);
  EXPECT_EQ(a.key(), 15551870843973921928ull);
  EXPECT_EQ(a.derive("x").derive(3).key(), 9113120095596694065ull);

  const uint64_t bit_at[] = {0, 1, 2, 3, 4, 1000003, 0x100000000ull * 5 + 7};
  const uint32_t bits_a[] = {3528671441u, 2829176569u, 2655282198u, 4285548372u, 3290444560u, 2513340704u, 2248972776u};
  const uint32_t bits_b[] = {3092259374u, 3314331723u, 346529824u, 2055536633u, 2915701862u, 3453265782u, 993748539u};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(a.bits(bit_at[i]), bits_a[i]) << bit_at[i];
    EXPECT_EQ(b.bits(bit_at[i]), bits_b[i]) << bit_at[i];
  }

  const uint64_t uni_at[] = {0, 1, 77, 123456789, 0x300000001ull};
  const double uni_a[] = {0x1.a4a681a35143ap-1, 0x1.3c88c82dfee08p-1, 0x1.23d84a9bbe146p-1, 0x1.4e0223de528b5p-2,
                          0x1.73c74a857d24cp-1};
  const double uni_b[] = {0x1.70a0445d8b196p-1, 0x1.4a7a0207a84fcp-4, 0x1.da248e0941ac7p-2, 0x1.5a4061cd5eceap-1,
                          0x1.7691e6829ab93p-2};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(a.uniform(uni_at[i]), uni_a[i]) << uni_at[i];
    EXPECT_EQ(b.uniform(uni_at[i]), uni_b[i]) << uni_at[i];
  }

  // Normals pass through glibc's log and cos: equal on this libm; 4e-16 relative allows another
  // libm's last-bit rounding without hiding a wrong stream (a wrong draw is off by O(1)).
  const uint64_t nor_at[] = {0, 1, 77, 123456789};
  const double nor_a[] = {-0x1.d8d69af23ca8cp-2, -0x1.6fcc2f9864889p-2, -0x1.2848954f33b3ap-1, -0x1.9788190ae98dbp+0};
  const double nor_b[] = {0x1.6ad54d12cffc1p-1, -0x1.64f47fe6bb004p-1, 0x1.2f7a17babbc79p+1, -0x1.28b8061f5f0cbp-2};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(a.normal(nor_at[i]), nor_a[i], 4e-16 * std::abs(nor_a[i])) << nor_at[i];
    EXPECT_NEAR(b.normal(nor_at[i]), nor_b[i], 4e-16 * std::abs(nor_b[i])) << nor_at[i];
  }

  const uint64_t below_at[] = {0, 5, 999};
  const uint64_t below_a97[] = {79, 68, 96}, below_b[] = {719972745, 312254180, 170419514},
                 below_a48[] = {231255011600544ull, 198001400911017ull, 278981565573928ull};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a.below(below_at[i], 97), below_a97[i]);
    EXPECT_EQ(b.below(below_at[i], 1000000007ull), below_b[i]);
    EXPECT_EQ(a.below(below_at[i], 0xFFFFFFFFFFFFull), below_a48[i]);
  }

  const auto block = Rng::philox({1u, 2u, 3u, 4u}, 0xdeadbeefcafef00dull);
  EXPECT_EQ(block, (std::array<uint32_t, 4>{2869186255u, 1991519240u, 890814294u, 4090998411u}));
}

TEST(CorePhilox, OneBlockFormsEqualTheElementwiseFormulas) {
  const Rng r(7, "philox", "forms");
  for (uint64_t base : {uint64_t{0}, uint64_t{0xFFFFFFF0ull}, uint64_t{0x7FFFFFFFFFFFFF00ull}, uint64_t{0xFFFFFFFFFFFFFF00ull}}) {
    for (uint64_t i = base; i < base + 64; ++i) {
      EXPECT_EQ(r.uniform(i), old_uniform(r, i)) << i;
      EXPECT_EQ(r.normal(i), old_normal(r, i)) << i;
      EXPECT_EQ(r.below(i, 4097), old_below(r, i, 4097)) << i;
      EXPECT_EQ(r.uniform(i), philox::uniform(r.key(), i)) << i;
      EXPECT_EQ(r.bits(i), philox::bits(r.key(), i)) << i;
    }
  }
}

TEST(CorePhilox, UniformExtremes) {
  // Never 0, so log(u) is finite; the top 53-bit word rounds to exactly 1 (k + 0.5 ties to even
  // above 2^52), the documented 2^-53 case; the next word stays below 1.
  EXPECT_EQ(philox::uniform_from(0), 0x1p-54);
  EXPECT_EQ(philox::uniform_from(~uint64_t{0}), 1.0);
  EXPECT_LT(philox::uniform_from(~uint64_t{0} - (uint64_t{1} << 11)), 1.0);
}

}  // namespace
}  // namespace attn
