// Storage-only 16-bit floats for the GPU backend: the bit patterns of IEEE binary16 (fp16) and
// bfloat16, so host code (entries, tests, the runner) can hold and convert them without CUDA types
// (STYLE.md rule 3). Arithmetic happens on the device in fp32; the host only converts, with
// round-to-nearest-even as the hardware does.
#pragma once

#include <cstdint>

namespace attn {

struct Half {
  uint16_t bits = 0;
};
struct BFloat16 {
  uint16_t bits = 0;
};

Half to_half(float x);
BFloat16 to_bfloat16(float x);
float to_float(Half h);
float to_float(BFloat16 b);

}  // namespace attn
