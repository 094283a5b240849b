// CPU-only build: a CudaSession cannot exist, and says so as an `unsupported` case status.
#include "core/cuda_session.hpp"

#if !ATTNBENCH_HAVE_CUDA

#include "core/error.hpp"

namespace attn {

namespace {
[[noreturn]] void no_cuda() { throw UnsupportedError("this build has no CUDA backend (CudaSession)"); }
}  // namespace

std::size_t cuda_blas_workspace_bytes() { return cuda_blas_workspace_bytes_for(9); }  // no device known

CudaSession::CudaSession() { no_cuda(); }
CudaSession::~CudaSession() = default;
void CudaSession::synchronize() const { no_cuda(); }
Context CudaSession::make_context(Workspace&, int) { no_cuda(); }

}  // namespace attn

#endif
