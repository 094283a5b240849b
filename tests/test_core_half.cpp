// fp16 / bf16 host conversions (core/half.hpp): every 16-bit pattern survives a round trip through
// float, conversions round to the nearest representable value with ties to even, and the edges
// (overflow to inf, subnormals, NaN) behave like __float2half_rn / __float2bfloat16_rn.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/half.hpp"
#include "core/rng.hpp"

namespace attn {
namespace {

TEST(CoreHalf, EveryPatternRoundTrips) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const Half h{static_cast<uint16_t>(b)};
    const float f = to_float(h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(to_float(to_half(f)))) << b;
      continue;
    }
    EXPECT_EQ(to_half(f).bits, h.bits) << b;
    const BFloat16 bf{static_cast<uint16_t>(b)};
    const float g = to_float(bf);
    if (!std::isnan(g)) EXPECT_EQ(to_bfloat16(g).bits, bf.bits) << b;
  }
}

TEST(CoreHalf, RoundsToNearestWithTiesToEven) {
  const Rng rng(1, "core-half", "values");
  for (uint64_t i = 0; i < 100000; ++i) {
    const double scale = i % 3 == 0 ? 6e4 : (i % 3 == 1 ? 1.0 : 1e-5);  // normals, and fp16 subnormals
    const float x = static_cast<float>(scale * (2 * rng.uniform(i) - 1));
    const Half h = to_half(x);
    const float y = to_float(h), err = std::abs(y - x);
    if (std::isinf(y)) continue;
    for (int step : {-1, 1}) {  // no neighbouring fp16 value is closer
      const float z = to_float(Half{static_cast<uint16_t>(h.bits + step)});
      if (std::isfinite(z) && std::signbit(z) == std::signbit(y)) EXPECT_GE(std::abs(z - x), err) << x;
    }
  }
  EXPECT_EQ(to_half(1.0f / 3).bits, 0x3555);
  EXPECT_EQ(to_bfloat16(1.0f / 3).bits, 0x3eab);
  EXPECT_EQ(to_half(1.0f + 1.0f / 2048).bits, 0x3c00);  // a tie: to the even mantissa
  EXPECT_EQ(to_half(1.0f + 3.0f / 2048).bits, 0x3c02);
}

TEST(CoreHalf, Edges) {
  EXPECT_EQ(to_half(65519.f).bits, 0x7bff);  // the largest finite fp16
  EXPECT_EQ(to_half(65520.f).bits, 0x7c00);  // rounds to inf
  EXPECT_EQ(to_half(-1e9f).bits, 0xfc00);
  EXPECT_EQ(to_half(6e-8f).bits, 0x0001);    // the smallest subnormal, 2^-24
  EXPECT_EQ(to_half(2e-8f).bits, 0x0000);
  EXPECT_EQ(to_float(Half{0x0001}), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isnan(to_float(to_half(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isnan(to_float(to_bfloat16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(to_float(to_bfloat16(3e38f)), to_float(BFloat16{0x7f62}));
}

}  // namespace
}  // namespace attn
