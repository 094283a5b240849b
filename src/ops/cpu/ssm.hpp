// CPU diagonal state-space ops. Validated by ops/ssm.cpp.
#pragma once

#include "ops/ssm.hpp"

namespace attn::ops::cpu {

template <class T>
void ssm_kernel(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                const std::complex<double>* ct, T* kernel, const T* lag0);
template <class T>
void ssm_recurrence(const Context& ctx, const SsmShape& s, const std::complex<double>* log_z,
                    const std::complex<double>* ct, const T* d, const T* u, T* y);

}  // namespace attn::ops::cpu
