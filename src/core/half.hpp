// Storage-only 16-bit floats for the GPU backend: the bit patterns of IEEE binary16 (fp16) and
// bfloat16, so host code (entries, tests, the runner) can hold and convert them without CUDA types
// (STYLE.md rule 3). Arithmetic happens on the device in fp32; the host only converts, with
// round-to-nearest-even as the hardware does.
#pragma once

#include <cstdint>

#include "core/dtype.hpp"

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

// Calls f with a value of the element type a forward stores in `t`: Half, BFloat16, or float for every
// other dtype. A method's forward templated on its storage type is then dispatched in one line:
//   with_storage_type(q.dtype, [&](auto tag) { run<decltype(tag)>(...); });
template <class F>
decltype(auto) with_storage_type(DType t, F&& f) {
  switch (t) {
    case DType::f16:
      return f(Half{});
    case DType::bf16:
      return f(BFloat16{});
    default:
      return f(float{});
  }
}

}  // namespace attn
