// Scatterbrain's sparse + low-rank forward (see the header), device-agnostic: every loop is an op.
// Scales: phi~(q_i) = phi(q_i) e^{-cq_i} and phi~(k_j) = phi(k_j) e^{-ck} (random_features' shifts),
// so the low-rank partial is num/den under the log scale cq_i + ck, beside the exact partial's LSE.
#include "methods/sparse_lowrank.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/device_memory.hpp"
#include "methods/budget_helpers.hpp"
#include "ops/block_sparse_product.hpp"
#include "ops/gemm.hpp"
#include "ops/merge_partials.hpp"
#include "ops/random_features.hpp"
#include "ops/rowwise.hpp"

namespace attn {

namespace {

constexpr double kOffSupportFloor = 1e-24;  // official clamp of the off-support mass

ops::FeatureShape features_of(const SparseLowRankShape& s, ops::FeatureShift shift) {
  return {.batch = s.batch, .seq_len = s.seq_len, .head_dim = s.head_dim, .projections = s.features / 2,
          .kind = ops::FeatureKind::hyperbolic, .shift = shift, .eps = 0.0,
          .input_scale = quarter_root_scale(s.head_dim)};
}

ops::FlashShape flash_of(const SparseLowRankShape& s) {
  ops::FlashShape f{.batch = s.batch, .seq_len = s.seq_len, .head_dim = s.head_dim};
  f.tiles = ops::default_flash_tiles(s.head_dim);
  f.tiles.block_q = std::min(f.tiles.block_q, s.layout.block);
  f.layout = s.layout;
  return f;
}

ops::BlockProductShape product_of(const SparseLowRankShape& s) {
  return {.batch = s.batch, .seq_len = s.seq_len, .features = s.features, .value_dim = s.head_dim, .layout = s.layout};
}

}  // namespace

float* draw_sparse_lowrank_projection(Context& ctx, const Rng& rng, int64_t features, int64_t head_dim,
                                      const std::string& key) {
  const int64_t rows = features / 2;
  if (rows == 0) return nullptr;
  std::vector<float> host(static_cast<size_t>(rows * head_dim));
  ops::draw_projection(rng, rows, head_dim, true, true, host.data());
  float* w = ctx.ws().get<float>(key, rows * head_dim);
  copy_bytes(w, ctx.device, host.data(), Device::cpu, host.size() * sizeof(float));
  return w;
}

void sparse_lowrank_forward(Context& ctx, const SparseLowRankShape& s, const float* w, const float* q, const float* k,
                            const float* v, float* out, const std::string& key) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  const int64_t bh = s.batch, n = s.seq_len, d = s.head_dim, m = s.features;
  if (m == 0) {  // no low-rank term: masked softmax on the support
    ops::flash_attention<float>(ctx, flash_of(s), scale, q, k, v, out);
    return;
  }
  auto buf = [&](const char* name, int64_t count) { return ctx.ws().get<float>(key + name, count); };
  float* phi_q = buf(".phi_q", bh * n * m);
  float* phi_k = buf(".phi_k", bh * n * m);
  float* shift_q = buf(".shift_q", bh * n);
  float* shift_k = buf(".shift_k", bh);
  float* lse = buf(".lse", bh * n);
  float* kv = buf(".kv", bh * m * (d + 1));  // [phi_k^T V | phi_k^T 1] as two blocks
  float* num = buf(".num_lr", bh * n * d);
  float* den = buf(".den_lr", bh * n);
  float* corr = buf(".corr_num", bh * n * d);
  float* corr_den = buf(".corr_den", bh * n);

  ops::random_features<float>(ctx, features_of(s, ops::FeatureShift::per_row), q, w, phi_q, nullptr, shift_q);
  ops::random_features<float>(ctx, features_of(s, ops::FeatureShift::per_head), k, w, phi_k, nullptr, shift_k);
  ops::flash_attention<float>(ctx, flash_of(s), scale, q, k, v, out, lse);

  float* ksum = kv + bh * m * d;
  ops::gemm<float>(ctx, ops::gemm_shape(ops::Trans::yes, ops::Trans::no, m, d, n, bh), 1.0f, phi_k, v, 0.0f, kv);
  // phi_k^T 1 as column sums: no vector of ones to upload inside the timed forward.
  ops::col_sums<float>(ctx, ops::row_shape(n, m, bh), 1.0f, phi_k, ksum);
  ops::gemm<float>(ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, d, m, bh), 1.0f, phi_q, kv, 0.0f, num);
  ops::gemm<float>(ctx, ops::gemm_shape(ops::Trans::no, ops::Trans::no, n, 1, m, bh), 1.0f, phi_q, ksum, 0.0f, den);
  ops::block_sparse_product<float>(ctx, product_of(s), phi_q, phi_k, v, corr, corr_den);
  ops::merge_partials<float>(ctx, {.batch = bh, .rows = n, .dim = d, .den_floor = kOffSupportFloor}, out, lse, num,
                             den, shift_q, shift_k, corr, corr_den, out);
}

double sparse_lowrank_workspace_bytes(const SparseLowRankShape& s, int threads, Device device) {
  const double bh = static_cast<double>(s.batch), n = static_cast<double>(s.seq_len);
  const double d = static_cast<double>(s.head_dim), m = static_cast<double>(s.features);
  const double scratch =
      static_cast<double>(ops::flash_attention_scratch_bytes(flash_of(s), sizeof(float), threads, device));
  if (s.features == 0) return scratch;
  const double floats = 2 * bh * n * m + bh * n + bh + bh * n + bh * m * (d + 1) + 2 * bh * n * d + 2 * bh * n +
                        (m / 2) * d;
  // The query and key feature calls share random_features' keys (GPU only): the larger is held.
  const double features = static_cast<double>(
      std::max(ops::random_features_scratch_bytes(features_of(s, ops::FeatureShift::per_row), sizeof(float), device),
               ops::random_features_scratch_bytes(features_of(s, ops::FeatureShift::per_head), sizeof(float), device)));
  return scratch + 4 * floats + features +
         static_cast<double>(ops::block_sparse_product_scratch_bytes(product_of(s), sizeof(float), threads, device));
}

}  // namespace attn
