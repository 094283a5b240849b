// Validated entry of the Gaussian kernel matrix.
#include "ops/gaussian_kernel.hpp"

#include "ops/cpu/gaussian_kernel.hpp"
#include "ops/cuda/gaussian_kernel.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

std::size_t gaussian_kernel_scratch_bytes(const GaussianKernelShape& s, Device device) {
  return device == Device::cuda ? static_cast<std::size_t>(s.batch * (s.rows + s.cols)) * sizeof(double) : 0;
}

template <class T>
void gaussian_kernel(const Context& ctx, const GaussianKernelShape& s, T scale, const T* a, const T* b, T* out) {
  ATTN_CHECK(s.batch > 0 && s.rows > 0 && s.cols > 0 && s.dim > 0, "gaussian_kernel: sizes must be positive");
  ATTN_CHECK(a != nullptr && b != nullptr && out != nullptr, "gaussian_kernel: null operand");
  ATTN_DISPATCH(ctx, "gaussian_kernel", cpu::gaussian_kernel(ctx, s, scale, a, b, out),
                cuda::gaussian_kernel(ctx, s, scale, a, b, out));
}

template void gaussian_kernel<float>(const Context&, const GaussianKernelShape&, float, const float*, const float*,
                                     float*);
template void gaussian_kernel<double>(const Context&, const GaussianKernelShape&, double, const double*, const double*,
                                      double*);

}  // namespace attn::ops
