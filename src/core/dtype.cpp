#include "core/dtype.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace attn {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "fp32";
    case DType::f64: return "fp64";
    case DType::f16: return "fp16";
    case DType::bf16: return "bf16";
  }
  return "?";
}

std::string_view device_name(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

DType parse_dtype(std::string_view text, std::string_view what) {
  for (DType t : {DType::f32, DType::f64, DType::f16, DType::bf16})
    if (text == dtype_name(t)) return t;
  throw UsageError(fmt::format("{}: unknown dtype '{}' (expected fp32, fp64, fp16 or bf16)", what, text));
}

Device parse_device(std::string_view text, std::string_view what) {
  if (text == "cpu") return Device::cpu;
  if (text == "cuda") return Device::cuda;
  throw UsageError(fmt::format("{}: unknown device '{}' (expected cpu or cuda)", what, text));
}

}  // namespace attn
