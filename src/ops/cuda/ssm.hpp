// CUDA diagonal state-space ops. No CUDA types here; pointers are device pointers, arguments
// validated by the entries in ops/ssm.cpp. ssm_recurrence (the own-exact reference) has no CUDA
// version: a GPU case's own-exact reference runs on the host.
#pragma once

#include "ops/ssm.hpp"

namespace attn::ops::cuda {

template <class T>
void ssm_kernel(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                const std::complex<double>* ct, T* kernel, const T* lag0);

}  // namespace attn::ops::cuda
