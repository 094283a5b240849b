// Attention-matrix metrics (DESIGN.md §5, issue 5): for a method whose output is A(q, k) v with an
// N x N matrix A per head (MethodInfo::linear_in_v), the implied A is recovered by running the
// method with identity values, d columns per forward (V[j, c] = [j == start + c]), and compared with
// the exact softmax(q k^T / sqrt d) (fp64). Also the oracle's error at the case's budget, so tables
// can show "x times the best possible".
//
// How the runner uses it (after the timed repetitions, before the workspace is released):
//   if (info.linear_in_v && shape.seq_len <= attn_metrics_max_n && device == cpu) {
//     r.attention = probe_attention_metrics(ctx, *method, shape, io.q().ptr<float>(), io.k().ptr<float>());
//     r.oracle_rel_fro = oracle_rel_fro(shape, io.q().ptr<float>(), io.k().ptr<float>(), c.realized, threads);
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/context.hpp"
#include "methods/method.hpp"

namespace attn {

struct AttentionMatrixMetrics {
  double rel_fro = 0;                  // ||A^ - A||_F / ||A||_F over all heads (block diagonal)
  double rel_spec = 0;                 // ||A^ - A||_2 / ||A||_2 of the block-diagonal matrices (power iteration)
  double row_sum_dev = 0;              // max_i |sum_j A^_ij - 1|
  std::optional<double> row_kl;        // mean over rows of KL(A^_i || A_i), when every row of A^ is a
                                       // distribution (entries >= -1e-7, sums within 1e-3 of 1); else unset
  int64_t negative_entries = 0;        // entries of A^ below -1e-7
};

// The implied matrices [B*H, N, N] (fp32) of a method linear in V, by N/d forwards (the last chunk
// partial) with identity values on ctx.device. The method must already be prepared; its workspace
// is reused (nothing new is allocated there); the probe's own buffers are separate allocations.
std::vector<float> probe_attention_matrix(Context& ctx, Method& method, const CaseShape& shape, const float* q,
                                          const float* k);

// Compares probed matrices with softmax(q k^T / sqrt d) (causal when shape.causal), computed in fp64.
AttentionMatrixMetrics attention_matrix_metrics(const std::vector<float>& probed, const CaseShape& shape,
                                                const float* q, const float* k, int threads);

// probe_attention_matrix + attention_matrix_metrics. q, k: host pointers ([B, H, N, d]).
AttentionMatrixMetrics probe_attention_metrics(Context& ctx, Method& method, const CaseShape& shape, const float* q,
                                               const float* k);

// The best matrix-level error any method could reach at this budget, relative Frobenius over all
// heads: rank only -> Eckart-Young (full SVD); density only -> keeping the floor(rho N^2) largest
// entries; both -> GoDec (ops/sparse_lowrank.hpp). Unset without a realized rank or density, or
// when density >= 1 with no rank. `kind` names which bound was computed.
struct OracleBound {
  double rel_fro = 0;
  std::string kind;  // "eckart_young", "top_k_sparse", "godec"
};
// The spectrum of each head's exact attention matrix for one input group, kept after its first use:
// the SVD is O(N^3) and every rank-budgeted case of the group needs the same singular values (the
// Eckart-Young error at rank r is then the tail sum past r, O(N)). One cache per input group.
class OracleCache {
 public:
  struct Head {
    std::vector<double> sigma;  // descending
    double norm2 = 0;           // ||A||_F^2
  };
  const Head* find(int64_t head) const;
  void store(int64_t head, Head h);

 private:
  std::vector<std::optional<Head>> heads_;
};

std::optional<OracleBound> oracle_rel_fro(const CaseShape& shape, const float* q, const float* k,
                                          const Realized& realized, int threads, OracleCache* cache = nullptr);

nlohmann::json to_json(const AttentionMatrixMetrics& m);

}  // namespace attn
