// What an op or a method needs to run: the device, its workspace, the thread count and (on the GPU)
// the stream. Opaque pointers keep CUDA types out of this header.
#pragma once

#include "core/dtype.hpp"
#include "core/workspace.hpp"

namespace attn {

struct Context {
  Device device = Device::cpu;
  Workspace* workspace = nullptr;  // the case's tracked memory; ops take scratch from it by key
  int threads = 1;                 // CPU threads for OpenMP and BLAS (core/threads.hpp)
  void* stream = nullptr;          // cudaStream_t on the GPU, null on the CPU
  void* blas_handle = nullptr;     // cublasHandle_t on the GPU, null on the CPU

  Workspace& ws() const { return *workspace; }
};

}  // namespace attn
