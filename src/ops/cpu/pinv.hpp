// CPU Newton-Schulz pseudo-inverse. Arguments are validated by the entry in ops/pinv.cpp.
#pragma once

#include "core/context.hpp"
#include "ops/pinv.hpp"

namespace attn::ops::cpu {

template <class T>
void newton_schulz_pinv(const Context& ctx, const PinvShape& s, const T* w, T* z);

}  // namespace attn::ops::cpu
