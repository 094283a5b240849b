// Helpers of the fp16 / bf16 GPU tests (header-only, like cuda_testing.hpp, so the test glob does not
// turn it into a test): rounding host values to the 16-bit type H (Half or BFloat16), converting
// vectors both ways, and the type's unit roundoff and name.
#pragma once

#include <cmath>
#include <type_traits>
#include <vector>

#include "core/half.hpp"

namespace attn::testing {

template <class H>
H to_h(float x) {
  if constexpr (std::is_same_v<H, Half>) {
    return to_half(x);
  } else {
    return to_bfloat16(x);
  }
}
template <class H>
float round_h(float x) {
  return to_float(to_h<H>(x));
}
// x with every element rounded to H (kept as float: what a reference sees of a 16-bit input).
template <class H>
std::vector<float> rounded(std::vector<float> x) {
  for (float& e : x) e = round_h<H>(e);
  return x;
}
template <class H>
std::vector<H> to_16(const std::vector<float>& x) {
  std::vector<H> h(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) h[i] = to_h<H>(x[i]);
  return h;
}
template <class H>
std::vector<float> from_16(const std::vector<H>& h) {
  std::vector<float> x;
  x.reserve(h.size());
  for (const H& e : h) x.push_back(to_float(e));
  return x;
}
// u = 2^-11 (fp16) or 2^-8 (bf16): half an ulp at 1.
template <class H>
double unit_roundoff() {
  return std::is_same_v<H, Half> ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
}
template <class H>
const char* type_name() {
  return std::is_same_v<H, Half> ? "fp16" : "bf16";
}

}  // namespace attn::testing
