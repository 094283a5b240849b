// How a validated op entry point reaches its backend: the CPU implementation, the CUDA one, or a
// clear `unsupported` naming the op (never a silent CPU fallback).
#pragma once

#include <string>

#include "core/context.hpp"
#include "core/error.hpp"

namespace attn::ops {

[[noreturn]] inline void no_cuda_op(const char* op) {
  throw UnsupportedError(std::string("op '") + op + "' has no CUDA implementation yet");
}

}  // namespace attn::ops

// In an op's entry: ATTN_DISPATCH(ctx, "name", cpu::name(args...), cuda::name(args...));
// The CUDA expression is compiled only in CUDA builds.
#if ATTNBENCH_HAVE_CUDA
#define ATTN_DISPATCH(ctx, name, cpu_call, cuda_call) \
  do {                                                \
    if ((ctx).device == ::attn::Device::cpu) {        \
      cpu_call;                                       \
    } else {                                          \
      cuda_call;                                      \
    }                                                 \
  } while (0)
#else
#define ATTN_DISPATCH(ctx, name, cpu_call, cuda_call)                        \
  do {                                                                       \
    if ((ctx).device == ::attn::Device::cpu) {                               \
      cpu_call;                                                              \
    } else {                                                                 \
      throw ::attn::UnsupportedError("this build has no CUDA backend (op '" name "')"); \
    }                                                                        \
  } while (0)
#endif
#define ATTN_DISPATCH_CPU_ONLY(ctx, name, cpu_call) \
  do {                                              \
    if ((ctx).device == ::attn::Device::cpu) {      \
      cpu_call;                                     \
    } else {                                        \
      ::attn::ops::no_cuda_op(name);                \
    }                                               \
  } while (0)
