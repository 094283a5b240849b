// Blocks of query rows against all keys, in double (the reference must be more accurate than what
// it judges). Each mixture component is separable into GEMM-shaped pieces:
//   -|std (q - k)|^2 / 2 = (std^2 q) . k - |std q|^2 / 2 - |std k|^2 / 2,
//   cos(mean . (q - k))  = cos(mean . q - mean . k),
// so a block's kernel weights are one GEMM per component plus an elementwise pass, and the output
// one more GEMM: O(N^2 (d + C)) with BLAS speed, O(block N) scratch.
#include "ops/cpu/kernel_attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/cpu/blas.hpp"

namespace attn::ops::cpu {

template <class T>
void kernel_attention(const Context& ctx, const KernelAttentionShape& s, double scale, const double* weights,
                      const double* means, const double* stds, const T* q, const T* k, const T* v, T* out) {
  const int64_t n = s.seq_len, d = s.head_dim, dv = s.value_dim, nc = s.components;
  constexpr int64_t kBlock = 128;
  const int threads = std::max(1, ctx.threads);
  std::vector<double> qs(static_cast<size_t>(n * d)), ks(static_cast<size_t>(n * d)), kd(static_cast<size_t>(n * d)),
      vd(static_cast<size_t>(n * dv)), qn(static_cast<size_t>(n)), kn(static_cast<size_t>(n)),
      qp(static_cast<size_t>(n)), kp(static_cast<size_t>(n)), g(static_cast<size_t>(kBlock * n)),
      w(static_cast<size_t>(kBlock * n)), o(static_cast<size_t>(kBlock * dv));
  for (int64_t b = 0; b < s.batch; ++b) {
    const T* qb = q + b * n * d;
    const T* kb = k + b * n * d;
    for (int64_t e = 0; e < n * dv; ++e) vd[e] = static_cast<double>(v[b * n * dv + e]);
    for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const int64_t rows = std::min(kBlock, n - i0);
      std::fill(w.begin(), w.begin() + rows * n, 0.0);
      for (int64_t c = 0; c < nc; ++c) {
        const double* sd = stds + c * d;
        const double* mu = means + c * d;
        // Per component: q' = std^2 q, k, norms |std q|^2/2, |std k|^2/2 and phases mean.q, mean.k.
        for (int64_t j = 0; j < n; ++j) {
          double kq = 0, kph = 0;
          for (int64_t e = 0; e < d; ++e) {
            const double x = scale * kb[j * d + e];
            kd[j * d + e] = x;
            kq += sd[e] * sd[e] * x * x;
            kph += mu[e] * x;
          }
          kn[j] = 0.5 * kq;
          kp[j] = kph;
        }
        for (int64_t i = 0; i < rows; ++i) {
          double qq = 0, qph = 0;
          for (int64_t e = 0; e < d; ++e) {
            const double x = scale * qb[(i0 + i) * d + e];
            qs[i * d + e] = sd[e] * sd[e] * x;
            qq += sd[e] * sd[e] * x * x;
            qph += mu[e] * x;
          }
          qn[i] = 0.5 * qq;
          qp[i] = qph;
        }
        blas_gemm(Trans::no, Trans::yes, rows, n, d, 1.0, qs.data(), d, kd.data(), d, 0.0, g.data(), n);
        const int64_t j_limit = s.causal ? std::min(n, i0 + rows) : n;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t i = 0; i < rows; ++i) {
          const int64_t j_end = s.causal ? i0 + i + 1 : j_limit;
          for (int64_t j = 0; j < j_end; ++j)
            w[i * n + j] += weights[c] * std::exp(std::min(0.0, g[i * n + j] - qn[i] - kn[j])) * std::cos(qp[i] - kp[j]);
        }
      }
      blas_gemm(Trans::no, Trans::no, rows, dv, n, 1.0, w.data(), n, vd.data(), dv, 0.0, o.data(), dv);
      for (int64_t i = 0; i < rows; ++i) {
        double den = 0;
        if (s.normalize)
          for (int64_t j = 0; j < n; ++j) den += w[i * n + j];
        const double inv = s.normalize ? 1.0 / den : 1.0;
        for (int64_t c = 0; c < dv; ++c) out[(b * n + i0 + i) * dv + c] = static_cast<T>(o[i * dv + c] * inv);
      }
    }
  }
}

template void kernel_attention<float>(const Context&, const KernelAttentionShape&, double, const double*, const double*,
                                      const double*, const float*, const float*, const float*, float*);
template void kernel_attention<double>(const Context&, const KernelAttentionShape&, double, const double*,
                                       const double*, const double*, const double*, const double*, const double*,
                                       double*);

}  // namespace attn::ops::cpu
