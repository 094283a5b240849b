// CPU reference DFTs. Validated by ops/dft.cpp.
#pragma once

#include "ops/dft.hpp"

namespace attn::ops::cpu {

template <class T>
void dft_bins_reference(const Context& ctx, const DftShape& s, const T* x, const int64_t* bins, int64_t count,
                        std::complex<double>* out);
template <class T>
void idft_real_reference(const Context& ctx, const DftShape& s, const int64_t* bins, int64_t count,
                         const std::complex<double>* yhat, T* out);

}  // namespace attn::ops::cpu
