// CPU (LAPACK, fp64) pseudo-inverse and symmetric eigenvalue. Validated by ops/svd_pinv.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/svd_pinv.hpp"

namespace attn::ops::cpu {

template <class T>
int64_t truncated_pinv(const Context& ctx, const SvdPinvShape& s, const T* a, const T* diag_shift, double shift_scale,
                       T* out);
template <class T>
void min_sym_eigenvalue(const Context& ctx, int64_t batch, int64_t n, const T* a, double cap, T* out);

}  // namespace attn::ops::cpu
