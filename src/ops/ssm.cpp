// Validated entries of the diagonal state-space ops.
#include "ops/ssm.hpp"

#include <string>

#include "ops/cpu/ssm.hpp"
#include "ops/cuda/ssm.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

namespace {
void check(const SsmShape& s, const char* what) {
  ATTN_CHECK(s.batch > 0 && s.sets > 0 && s.n > 0 && s.channels > 0 && s.modes >= 0, std::string(what) + ": bad sizes");
  ATTN_CHECK(s.batch % s.sets == 0, std::string(what) + ": batch must be a multiple of sets");
}
}  // namespace

template <class T>
void ssm_kernel(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                const std::complex<double>* ct, T* kernel, const T* lag0) {
  check(s, "ssm_kernel");
  ATTN_CHECK(log_z && ct && kernel, "ssm_kernel: null operand");
  ATTN_DISPATCH(ctx, "ssm_kernel", cpu::ssm_kernel(ctx, s, log_z, ct, kernel, lag0),
                cuda::ssm_kernel(ctx, s, log_z, ct, kernel, lag0));
}

template <class T>
void ssm_recurrence(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                    const std::complex<double>* ct, const T* d, const T* u, T* y) {
  check(s, "ssm_recurrence");
  ATTN_CHECK(log_z && ct && u && y && u != y, "ssm_recurrence: null or aliased operand");
  // CPU only: the own-exact reference, which runs on the host for GPU cases too.
  ATTN_DISPATCH_CPU_ONLY(ctx, "ssm_recurrence", cpu::ssm_recurrence(ctx, s, log_z, ct, d, u, y));
}

#define ATTN_SSM_INSTANTIATE(T)                                                                                \
  template void ssm_kernel<T>(const Context&, const SsmShape&, const std::complex<double>*,                    \
                              const std::complex<double>*, T*, const T*);                                      \
  template void ssm_recurrence<T>(const Context&, const SsmShape&, const std::complex<double>*,                \
                                  const std::complex<double>*, const T*, const T*, T*);
ATTN_SSM_INSTANTIATE(float)
ATTN_SSM_INSTANTIATE(double)
#undef ATTN_SSM_INSTANTIATE

}  // namespace attn::ops
