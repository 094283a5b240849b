// Element types and devices. Host code stores fp32 and fp64; fp16/bf16 exist for the GPU backend.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace attn {

enum class DType { f32, f64, f16, bf16 };
enum class Device { cpu, cuda };

constexpr std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::f16: return 2;
    case DType::bf16: return 2;
  }
  return 0;
}

// Spec and report spellings: "fp32", "fp64", "fp16", "bf16"; "cpu", "cuda".
std::string_view dtype_name(DType t);
std::string_view device_name(Device d);
// Throw UsageError naming `what` when the text is not a known spelling.
DType parse_dtype(std::string_view text, std::string_view what);
Device parse_device(std::string_view text, std::string_view what);

}  // namespace attn
