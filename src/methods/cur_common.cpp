// The CUR-type attention core (see cur_common.hpp). Composes ops only.
#include "methods/cur_common.hpp"

#include <cmath>

#include "ops/gather.hpp"
#include "ops/gemm.hpp"
#include "ops/rowwise.hpp"
#include "ops/svd_pinv.hpp"

namespace attn {

using ops::Trans;

int64_t cur_attention(Context& ctx, const CaseShape& s, const CurPlan& plan, const CurIndices& idx, const float* q,
                      const float* k, const float* v, float* out, int64_t* kept_rank) {
  const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim, sr = plan.rows, sc = plan.cols;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  auto& ws = ctx.ws();
  float* q_r = ws.get<float>("cur.q_rows", bh * sr * d);
  float* k_c = ws.get<float>("cur.k_cols", bh * sc * d);
  float* v_c = ws.get<float>("cur.v_cols", bh * sc * d);
  float* c_blk = ws.get<float>("cur.c", bh * n * sc);
  float* r_blk = ws.get<float>("cur.r", bh * sr * n);
  float* u_blk = ws.get<float>("cur.u", bh * sr * sc);
  float* g = ws.get<float>("cur.u_pinv", bh * sc * sr);
  float* shift = ws.get<float>("cur.shift", bh);
  float* rv = ws.get<float>("cur.rv", bh * sr * d);
  float* grv = ws.get<float>("cur.grv", bh * sc * d);
  float* den = ws.get<float>("cur.den", bh * n);
  float* fallback = ws.get<float>("cur.fallback", bh * n * d);
  float* csum = ws.get<float>("cur.c_rowsum", bh * n);

  const ops::GatherShape rows_of{.batch = bh, .src_rows = n, .count = sr, .dim = d};
  const ops::GatherShape cols_of{.batch = bh, .src_rows = n, .count = sc, .dim = d};
  ops::gather_rows<float>(ctx, rows_of, idx.rows, q, 1.0f, 0.0f, q_r);
  ops::gather_rows<float>(ctx, cols_of, idx.cols, k, 1.0f, 0.0f, k_c);
  ops::gather_rows<float>(ctx, cols_of, idx.cols, v, 1.0f, 0.0f, v_c);
  ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, n, sc, d, bh), scale, q, k_c, 0.0f, c_blk);
  ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, sr, n, d, bh), scale, q_r, k, 0.0f, r_blk);
  ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, sr, sc, d, bh), scale, q_r, k_c, 0.0f, u_blk);

  // One shift per head: the max over every logit computed (C, R and, for SMS, W1 contain U).
  ops::block_max<float>(ctx, ops::row_shape(n, sc, bh), false, c_blk, shift);
  ops::block_max<float>(ctx, ops::row_shape(sr, n, bh), true, r_blk, shift);
  float* w1 = nullptr;
  const int64_t s1 = plan.shift_rows;
  if (s1 > 0) {
    float* q1 = ws.get<float>("cur.q_shift", bh * s1 * d);
    float* k1 = ws.get<float>("cur.k_shift", bh * s1 * d);
    w1 = ws.get<float>("cur.w1", bh * s1 * s1);
    const ops::GatherShape shift_of{.batch = bh, .src_rows = n, .count = s1, .dim = d};
    ops::gather_rows<float>(ctx, shift_of, idx.shift, q, 1.0f, 0.0f, q1);
    ops::gather_rows<float>(ctx, shift_of, idx.shift, k, 1.0f, 0.0f, k1);
    ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::yes, s1, s1, d, bh), scale, q1, k1, 0.0f, w1);
    ops::block_max<float>(ctx, ops::row_shape(s1, s1, bh), true, w1, shift);
    ops::exp_shifted<float>(ctx, ops::row_shape(s1, s1, bh), shift, w1);
  }
  ops::exp_shifted<float>(ctx, ops::row_shape(n, sc, bh), shift, c_blk);
  ops::exp_shifted<float>(ctx, ops::row_shape(sr, n, bh), shift, r_blk);
  ops::exp_shifted<float>(ctx, ops::row_shape(sr, sc, bh), shift, u_blk);

  float* eig = nullptr;
  if (w1) {  // e = min(0, lambda_min(sym W1)); U <- U - alpha e I
    eig = ws.get<float>("cur.eig", bh);
    ops::min_sym_eigenvalue<float>(ctx, bh, s1, w1, 0.0, eig);
  }
  const int64_t rank = ops::truncated_pinv<float>(ctx, {.batch = bh, .rows = sr, .cols = sc, .rcond = plan.rcond},
                                                  u_blk, eig, -plan.alpha, g);
  if (kept_rank) *kept_rank = rank;

  // num = C (G (R V)), den = C (G (R 1)), evaluated right to left.
  float* r1 = ws.get<float>("cur.r1", bh * sr);
  float* gr1 = ws.get<float>("cur.gr1", bh * sc);
  ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, sr, d, n, bh), 1.0f, r_blk, v, 0.0f, rv);
  ops::row_sums<float>(ctx, ops::row_shape(sr, n, bh), r_blk, r1);
  ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, sc, d, sr, bh), 1.0f, g, rv, 0.0f, grv);
  ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, sc, 1, sr, bh), 1.0f, g, r1, 0.0f, gr1);
  ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, n, d, sc, bh), 1.0f, c_blk, grv, 0.0f, out);
  ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, n, 1, sc, bh), 1.0f, c_blk, gr1, 0.0f, den);

  // Fallback rows: softmax over the sampled columns, C V_Sc / rowsum(C).
  ops::gemm<float>(ctx, ops::gemm_shape(Trans::no, Trans::no, n, d, sc, bh), 1.0f, c_blk, v_c, 0.0f, fallback);
  ops::row_sums<float>(ctx, ops::row_shape(n, sc, bh), c_blk, csum);
  ops::divide_rows_guarded<float>(ctx, ops::row_shape(n, d, bh), csum, 0.0, nullptr, fallback);
  return ops::divide_rows_guarded<float>(ctx, ops::row_shape(n, d, bh), den, 1e-6, fallback, out);
}

double cur_workspace_bytes(const CaseShape& s, const CurPlan& plan) {
  const double bh = static_cast<double>(s.heads_total()), n = static_cast<double>(s.seq_len),
               d = static_cast<double>(s.head_dim), sr = static_cast<double>(plan.rows),
               sc = static_cast<double>(plan.cols), s1 = static_cast<double>(plan.shift_rows);
  double floats = bh * (sr * d + 2 * sc * d + n * sc + sr * n + 2 * sr * sc + 1 + sr * d + sc * d + n + n * d + n + sr + sc);
  if (s1 > 0) floats += bh * (2 * s1 * d + s1 * s1 + 1);
  return floats * sizeof(float) + static_cast<double>(ops::divide_rows_guarded_scratch_bytes(s.device));
}

double cur_flops(const CaseShape& s, const CurPlan& plan) {
  const double n = static_cast<double>(s.seq_len), d = static_cast<double>(s.head_dim),
               sr = static_cast<double>(plan.rows), sc = static_cast<double>(plan.cols),
               s1 = static_cast<double>(plan.shift_rows);
  const double small = sr * sc * std::min(sr, sc) * 8 + s1 * s1 * s1 * 4;
  return static_cast<double>(s.heads_total()) *
         (2 * n * sc * d + 2 * sr * n * d + 2 * sr * sc * d + 2 * s1 * s1 * d + 3 * (n * sc + sr * n) + small +
          2 * sr * n * (d + 1) + 2 * sc * sr * (d + 1) + 2 * n * sc * (d + 1) + 2 * n * sc * d);
}

}  // namespace attn
