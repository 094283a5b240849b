// One CUDA stream and one cuBLAS handle for a process (or a worker), and the Context that GPU ops
// run with. CUDA types stay out of this header (STYLE.md rule 3): the stream and the handle are
// opaque pointers, as in Context. In a CPU-only build every member throws UnsupportedError.
#pragma once

#include <cstddef>

#include "core/context.hpp"
#include "core/workspace.hpp"

namespace attn {

// The cuBLAS workspace a session takes on a device of compute capability `major`: 32 MiB on Hopper
// and newer, 4 MiB before (cuBLAS's guidance).
constexpr std::size_t cuda_blas_workspace_bytes_for(int major) { return std::size_t{major >= 9 ? 32u : 4u} << 20; }
// What a CudaSession on the current device takes for cuBLAS ("cublas.workspace", part of every GPU
// case's tracked workspace); 32 MiB when no device is known (CPU-only build or no GPU). Queried once
// per process.
std::size_t cuda_blas_workspace_bytes();

class CudaSession {
 public:
  // Creates a non-blocking stream and a cuBLAS handle on the current device, the handle bound to
  // the stream. Throws UnsupportedError without a CUDA backend, CaseError without a device.
  CudaSession();
  ~CudaSession();
  CudaSession(const CudaSession&) = delete;
  CudaSession& operator=(const CudaSession&) = delete;

  void* stream() const { return stream_; }       // cudaStream_t
  void* blas_handle() const { return handle_; }  // cublasHandle_t
  // Waits for everything queued on the stream (timings use events; this is for tests and copies).
  void synchronize() const;

  // The context of one case on this session's stream. cuBLAS's workspace is taken from `workspace`
  // (key "cublas.workspace", blas_workspace_bytes()) and handed to cublasSetWorkspace, so the case's
  // tracked peak includes it. `workspace` must be a CUDA workspace and outlive the context's use;
  // each make_context call rebinds the handle to the new workspace.
  Context make_context(Workspace& workspace, int threads);

  // Size of the cuBLAS workspace (cuda_blas_workspace_bytes_for this device).
  std::size_t blas_workspace_bytes() const { return blas_workspace_bytes_; }

 private:
  void* stream_ = nullptr;
  void* handle_ = nullptr;
  std::size_t blas_workspace_bytes_ = 0;
};

}  // namespace attn
