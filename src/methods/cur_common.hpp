// The shared core of the CUR-type attention approximations (lowrank.md card 2, harness adaptation):
// sampled rows Sr and columns Sc of the unnormalized score matrix E = exp(Q K^T / sqrt d - c), with
// one scalar shift c per head (the max over every computed logit, so the algebra stays
// scale-equivariant), E ~ C U^+ R, and row normalization without an N x N product:
//   num = C (U^+ (R V)),  den = C (U^+ (R 1)),  out = num / den,
// rows with den <= 1e-6 median(|den|) falling back to softmax over the sampled columns
// (C V_Sc / rowsum C). SMS-Nystrom adds the shift U <- U - alpha min(0, lambda_min(sym W1)) I from a
// larger block W1 = E[S1, S1] (S1 holds Sr = Sc). Used by cur.cpp and sms_nystrom.cpp.
#pragma once

#include <cstdint>
#include <string>

#include "core/context.hpp"
#include "methods/method.hpp"

namespace attn {

struct CurPlan {
  int64_t rows = 0;       // |Sr|
  int64_t cols = 0;       // |Sc|
  int64_t shift_rows = 0; // |S1| (SMS only; 0 = no shift)
  bool same_index = false;  // Sc = Sr (SMS)
  double rcond = 1e-2;
  double alpha = 1.5;     // SMS shift multiplier
};

struct CurIndices {
  const int64_t* rows = nullptr;   // [BH, rows]
  const int64_t* cols = nullptr;   // [BH, cols]
  const int64_t* shift = nullptr;  // [BH, shift_rows]
};

// Runs the approximation; returns the number of rows that took the fallback.
int64_t cur_attention(Context& ctx, const CaseShape& s, const CurPlan& plan, const CurIndices& idx, const float* q,
                      const float* k, const float* v, float* out, int64_t* kept_rank);

double cur_workspace_bytes(const CaseShape& s, const CurPlan& plan);
double cur_flops(const CaseShape& s, const CurPlan& plan);

}  // namespace attn
