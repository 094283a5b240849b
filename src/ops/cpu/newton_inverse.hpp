// CPU Newton-Schulz inverse. Arguments are validated by the entry in ops/newton_inverse.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/newton_inverse.hpp"

namespace attn::ops::cpu {

template <class T>
void newton_inverse(const Context& ctx, const NewtonInverseShape& s, const T* a, T* v);

}  // namespace attn::ops::cpu
