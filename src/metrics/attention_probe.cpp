// Probing runs the method's own forward, so whatever the method does (masks, normalizations,
// randomness fixed at prepare) is what is measured. The fp64 reference comes from the
// attention_matrix op on a private workspace, one head at a time.
#include "metrics/attention_probe.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/device_memory.hpp"
#include "ops/attention_matrix.hpp"
#include "ops/sparse_lowrank.hpp"
#include "ops/svd.hpp"

namespace attn {

namespace {

constexpr int kPowerIters = 30;
constexpr double kNegativeTol = 1e-7;
constexpr double kRowSumTol = 1e-3;

// A device buffer freed on scope exit.
struct DeviceBuffer {
  Device device;
  void* ptr;
  DeviceBuffer(Device d, std::size_t bytes) : device(d), ptr(device_alloc(d, bytes)) {}
  ~DeviceBuffer() { device_free(device, ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

// Largest singular value of an n x n matrix by power iteration on M^T M (fp64).
double spectral_norm(int64_t n, const double* m) {
  std::vector<double> x(static_cast<size_t>(n), 1.0 / std::sqrt(double(n))), y(static_cast<size_t>(n));
  double sigma = 0;
  for (int it = 0; it < kPowerIters; ++it) {
    for (int64_t i = 0; i < n; ++i) {
      double acc = 0;
      for (int64_t j = 0; j < n; ++j) acc += m[i * n + j] * x[j];
      y[i] = acc;
    }
    std::fill(x.begin(), x.end(), 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) x[j] += m[i * n + j] * y[i];
    double norm = 0;
    for (double v : x) norm += v * v;
    norm = std::sqrt(norm);
    if (norm == 0) return 0;
    sigma = std::sqrt(norm);
    for (double& v : x) v /= norm;
  }
  return sigma;
}

}  // namespace

std::vector<float> probe_attention_matrix(Context& ctx, Method& method, const CaseShape& shape, const float* q,
                                          const float* k) {
  const int64_t bh = shape.heads_total(), n = shape.seq_len, d = shape.head_dim;
  const Shape ts = shape.tensor_shape();
  const std::size_t bytes = static_cast<std::size_t>(ts.numel()) * sizeof(float);
  DeviceBuffer qd(ctx.device, bytes), kd(ctx.device, bytes), vd(ctx.device, bytes), od(ctx.device, bytes);
  copy_bytes(qd.ptr, ctx.device, q, Device::cpu, bytes);
  copy_bytes(kd.ptr, ctx.device, k, Device::cpu, bytes);
  std::vector<float> v(static_cast<size_t>(ts.numel())), o(v.size()), a(static_cast<size_t>(bh * n * n));
  auto view = [&](void* p) { return Tensor{.data = p, .shape = ts, .device = ctx.device}; };
  for (int64_t start = 0; start < n; start += d) {
    const int64_t cols = std::min(d, n - start);
    std::fill(v.begin(), v.end(), 0.0f);
    for (int64_t h = 0; h < bh; ++h)
      for (int64_t c = 0; c < cols; ++c) v[(h * n + start + c) * d + c] = 1.0f;
    copy_bytes(vd.ptr, ctx.device, v.data(), Device::cpu, bytes);
    Tensor out = view(od.ptr);
    method.forward(ctx, view(qd.ptr), view(kd.ptr), view(vd.ptr), out);
    device_synchronize(ctx.device);
    copy_bytes(o.data(), Device::cpu, od.ptr, ctx.device, bytes);
    for (int64_t h = 0; h < bh; ++h)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < cols; ++c) a[(h * n + i) * n + start + c] = o[(h * n + i) * d + c];
  }
  return a;
}

AttentionMatrixMetrics attention_matrix_metrics(const std::vector<float>& probed, const CaseShape& shape,
                                                const float* q, const float* k, int threads) {
  const int64_t bh = shape.heads_total(), n = shape.seq_len, d = shape.head_dim;
  Workspace ws(Device::cpu);
  const Context ctx{.device = Device::cpu, .workspace = &ws, .threads = threads};
  std::vector<double> ref(static_cast<size_t>(n * n)), diff(ref.size());
  AttentionMatrixMetrics m;
  double err2 = 0, norm2 = 0, kl_sum = 0, spec_err = 0, spec_ref = 0;
  bool distributions = true;
  for (int64_t h = 0; h < bh; ++h) {
    ops::attention_matrix<double>(ctx, {.batch = 1, .n = n, .d = d, .causal = shape.causal}, q + h * n * d,
                                  k + h * n * d, ref.data());
    const float* a = probed.data() + h * n * n;
    for (int64_t i = 0; i < n; ++i) {
      double row_sum = 0, kl = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double x = a[i * n + j], r = ref[i * n + j];
        diff[i * n + j] = x - r;
        err2 += (x - r) * (x - r);
        norm2 += r * r;
        row_sum += x;
        if (x < -kNegativeTol) ++m.negative_entries;
        if (x > 0) kl += r > 0 ? x * std::log(x / r) : INFINITY;
      }
      m.row_sum_dev = std::max(m.row_sum_dev, std::abs(row_sum - 1.0));
      if (std::abs(row_sum - 1.0) > kRowSumTol) distributions = false;
      kl_sum += kl;
    }
    spec_err = std::max(spec_err, spectral_norm(n, diff.data()));
    spec_ref = std::max(spec_ref, spectral_norm(n, ref.data()));
  }
  m.rel_fro = std::sqrt(err2 / norm2);
  m.rel_spec = spec_ref > 0 ? spec_err / spec_ref : 0;
  if (distributions && m.negative_entries == 0 && std::isfinite(kl_sum)) m.row_kl = kl_sum / double(bh * n);
  return m;
}

AttentionMatrixMetrics probe_attention_metrics(Context& ctx, Method& method, const CaseShape& shape, const float* q,
                                               const float* k) {
  return attention_matrix_metrics(probe_attention_matrix(ctx, method, shape, q, k), shape, q, k, ctx.threads);
}

const OracleCache::Head* OracleCache::find(int64_t head) const {
  const auto i = static_cast<std::size_t>(head);
  return i < heads_.size() && heads_[i] ? &*heads_[i] : nullptr;
}

void OracleCache::store(int64_t head, Head h) {
  const auto i = static_cast<std::size_t>(head);
  if (heads_.size() <= i) heads_.resize(i + 1);
  heads_[i] = std::move(h);
}

std::optional<OracleBound> oracle_rel_fro(const CaseShape& shape, const float* q, const float* k,
                                          const Realized& realized, int threads, OracleCache* cache) {
  const int64_t n = shape.seq_len, d = shape.head_dim;
  const bool has_rank = realized.rank.has_value();
  const bool has_density = realized.density.has_value() && *realized.density < 1.0;
  if (!has_rank && !has_density) return std::nullopt;
  Workspace ws(Device::cpu);
  const Context ctx{.device = Device::cpu, .workspace = &ws, .threads = threads};
  std::vector<double> a(static_cast<size_t>(n * n)), l(a.size()), s(a.size()), sigma(static_cast<size_t>(n));
  const int64_t rank = has_rank ? std::min(*realized.rank, n) : 0;
  const int64_t nonzeros = has_density ? static_cast<int64_t>(std::floor(*realized.density * double(n * n))) : 0;
  OracleBound bound{.kind = has_rank && has_density ? "godec" : has_rank ? "eckart_young" : "top_k_sparse"};
  double err2 = 0, norm2 = 0;
  for (int64_t h = 0; h < shape.heads_total(); ++h) {
    if (bound.kind == "eckart_young" && cache != nullptr) {
      if (const OracleCache::Head* known = cache->find(h)) {
        double tail = 0;
        for (int64_t j = rank; j < n; ++j) tail += known->sigma[j] * known->sigma[j];
        err2 += tail;
        norm2 += known->norm2;
        continue;
      }
    }
    ops::attention_matrix<double>(ctx, {.batch = 1, .n = n, .d = d, .causal = shape.causal}, q + h * n * d,
                                  k + h * n * d, a.data());
    double head2 = 0;
    for (double x : a) head2 += x * x;
    norm2 += head2;
    double rel = 0;
    if (bound.kind == "eckart_young") {
      ops::singular_values(ctx, n, n, a.data(), sigma.data());
      if (cache != nullptr) cache->store(h, {.sigma = sigma, .norm2 = head2});
      double tail = 0;
      for (int64_t j = rank; j < n; ++j) tail += sigma[j] * sigma[j];
      rel = std::sqrt(tail / head2);
    } else if (bound.kind == "top_k_sparse") {
      ops::keep_largest_abs(ctx, n * n, nonzeros, a.data(), s.data());
      double tail = 0;
      for (int64_t i = 0; i < n * n; ++i) tail += (a[i] - s[i]) * (a[i] - s[i]);
      rel = std::sqrt(tail / head2);
    } else {
      rel = ops::godec(ctx, n, n, rank, nonzeros, 20, 1e-6, a.data(), l.data(), s.data()).rel_fro;
    }
    err2 += rel * rel * head2;
  }
  bound.rel_fro = std::sqrt(err2 / norm2);
  return bound;
}

nlohmann::json to_json(const AttentionMatrixMetrics& m) {
  nlohmann::json j{{"attn_rel_fro", m.rel_fro}, {"attn_rel_spec", m.rel_spec}, {"attn_row_sum_dev", m.row_sum_dev},
                   {"attn_negative_entries", m.negative_entries}};
  j["attn_row_kl"] = m.row_kl ? nlohmann::json(*m.row_kl) : nlohmann::json();
  return j;
}

}  // namespace attn
