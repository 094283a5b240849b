// Merges two partial attentions over disjoint key sets into one softmax-normalized output, using
// their log masses (the split-K / two-pass combination of FlashAttention's LSE output):
//   out_i = (e^{lse1_i} o1_i + e^{c_g} (num2_g - sub_num_i)) / (e^{lse1_i} + e^{c_g} max(den2_g - sub_den_i, den_floor))
// where g = i / group, c_g = log_scale2[b, g] + head_scale2[b]. Partial 1 is normalized (o1 with its
// log-sum-exp lse1, as ops::flash_attention returns it); partial 2 is num2 / den2 under a log scale
// (den2 null: 1, i.e. normalized too). The optional sub_* terms remove part of partial 2 (the
// Scatterbrain correction: the low-rank estimate on the exact support, sparse.md card 4b).
// Users: local with global tokens (window part + global part), MRA (high + low resolution),
// Scatterbrain and Pixelfly (sparse + low rank). A non-finite lse1 or c drops that partial; a row
// with neither, or a zero denominator, outputs 0.
#pragma once

#include <cstdint>

#include "core/context.hpp"

namespace attn::ops {

struct MergeShape {
  int64_t batch = 1;
  int64_t rows = 0;      // rows of partial 1 and of the output, per batch
  int64_t dim = 0;
  int64_t group = 1;     // consecutive rows sharing one row of partial 2 (groups = ceil(rows / group))
  double den_floor = 0;  // lower bound of partial 2's corrected denominator
};

// o1, out: [batch, rows, dim]; lse1: [batch, rows]; num2: [batch, groups, dim]; den2, log_scale2:
// [batch, groups]; head_scale2: [batch]; sub_num: [batch, rows, dim]; sub_den: [batch, rows].
template <class T>
void merge_partials(const Context& ctx, const MergeShape& s, const T* o1, const T* lse1, const T* num2, const T* den2,
                    const T* log_scale2, const T* head_scale2, const T* sub_num, const T* sub_den, T* out);

}  // namespace attn::ops
