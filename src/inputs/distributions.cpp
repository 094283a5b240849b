// Input distributions (DESIGN.md §4; generators follow methods/kernel.md §0.3 and methods/lowrank.md
// "Synthetic inputs matter"). Each generator fills Q and K at unit scale; the temperature is applied
// afterwards as one multiplication by sqrt(beta), and the random streams are keyed WITHOUT the
// temperature, so inputs at beta = 4 are exactly 2x those at beta = 1 and a temperature sweep
// changes only how peaked the attention is, not the draw.
#include "inputs/distributions.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "inputs/npy.hpp"
#include "inputs/real_inputs.hpp"

namespace attn {

namespace {

using Fill = void (*)(const InputSpec&, const Rng& q_rng, const Rng& k_rng, InputTensors&);

// Q, K ~ iid N(0, 1).
void fill_gaussian(const InputSpec& s, const Rng& q_rng, const Rng& k_rng, InputTensors& t) {
  q_rng.fill_normal(t.q.data(), static_cast<int64_t>(t.q.size()));
  k_rng.fill_normal(t.k.data(), static_cast<int64_t>(t.k.size()));
}

// Per head, `clusters` centres c ~ N(0, I) shared by Q and K; every token picks a uniform label
// (independently for Q and K) and adds 0.3 * N(0, I) noise. Gives block structure in Q K^T.
void fill_clustered(const InputSpec& s, const Rng& q_rng, const Rng& k_rng, InputTensors& t) {
  const int64_t n = s.seq_len, d = s.head_dim, c = s.clusters, heads = s.batch * s.heads;
  std::vector<float> centres(static_cast<size_t>(heads * c * d));
  q_rng.derive("centres").fill_normal(centres.data(), static_cast<int64_t>(centres.size()));
  auto place = [&](const Rng& rng, std::vector<float>& x) {
    const Rng labels = rng.derive("labels");
    rng.derive("noise").fill_normal(x.data(), static_cast<int64_t>(x.size()));
    for (int64_t bh = 0; bh < heads; ++bh)
      for (int64_t i = 0; i < n; ++i) {
        const auto label = static_cast<int64_t>(labels.below(static_cast<uint64_t>(bh * n + i), static_cast<uint64_t>(c)));
        const float* centre = centres.data() + (bh * c + label) * d;
        float* row = x.data() + (bh * n + i) * d;
        for (int64_t j = 0; j < d; ++j) row[j] = centre[j] + 0.3f * row[j];
      }
  };
  place(q_rng, t.q);
  place(k_rng, t.k);
}

// Smooth series: a moving sum of `smoothing` iid N(0, 1) values along the sequence, divided by
// sqrt(smoothing) (unit variance, lag-l autocorrelation max(0, 1 - l/smoothing)). Q and K share
// one such positional series P and each add their own: Q = a P + b E_q, K = a P + b E_k with
// a^2 = kSharedVariance, a^2 + b^2 = 1. Each of Q and K keeps the unit variance and the same
// autocorrelation, and q_i . k_j correlates by a^2 (1 - |i-j|/smoothing), so attention concentrates
// near the diagonal (DESIGN.md §4). Independent Q and K series would give smooth but not local
// scores. Without sequence structure segment-mean landmarks average to zero (lowrank.md §0).
constexpr double kSharedVariance = 0.8;
void fill_local(const InputSpec& s, const Rng& q_rng, const Rng& k_rng, InputTensors& t) {
  const int64_t n = s.seq_len, d = s.head_dim, w = s.smoothing, heads = s.batch * s.heads;
  const int64_t len = n + w - 1;  // raw draws per head and feature
  const double scale = 1.0 / std::sqrt(static_cast<double>(w));
  auto smooth = [&](const Rng& rng, std::vector<float>& x) {
    std::vector<float> z(static_cast<size_t>(len * d));
    std::vector<double> sum(static_cast<size_t>(d));
    for (int64_t bh = 0; bh < heads; ++bh) {
      rng.fill_normal(z.data(), len * d, static_cast<uint64_t>(bh * len * d));
      std::fill(sum.begin(), sum.end(), 0.0);
      for (int64_t i = 0; i < w - 1; ++i)
        for (int64_t j = 0; j < d; ++j) sum[j] += z[i * d + j];
      for (int64_t i = 0; i < n; ++i) {
        // window z[i .. i + w - 1]
        float* row = x.data() + (bh * n + i) * d;
        for (int64_t j = 0; j < d; ++j) {
          sum[j] += z[(i + w - 1) * d + j];
          row[j] = static_cast<float>(sum[j] * scale);
          sum[j] -= z[i * d + j];
        }
      }
    }
  };
  std::vector<float> shared(t.q.size());
  smooth(q_rng.derive("local/shared-positional"), shared);
  smooth(q_rng, t.q);
  smooth(k_rng, t.k);
  const float a = static_cast<float>(std::sqrt(kSharedVariance)), b = static_cast<float>(std::sqrt(1 - kSharedVariance));
  for (size_t i = 0; i < shared.size(); ++i) {
    t.q[i] = a * shared[i] + b * t.q[i];
    t.k[i] = a * shared[i] + b * t.k[i];
  }
}

// Per head, a basis B [r, d] shared by Q and K, with orthonormal rows (Gram-Schmidt of a Gaussian
// matrix) scaled by sqrt(d / r) so entries of Q = Z B have unit variance on average; Z ~ iid N(0, 1).
// With r >= d the subspace is the whole space and B is a plain Gaussian matrix / sqrt(r).
void fill_lowrank(const InputSpec& s, const Rng& q_rng, const Rng& k_rng, InputTensors& t) {
  const int64_t n = s.seq_len, d = s.head_dim, r = s.subspace_dim, heads = s.batch * s.heads;
  std::vector<double> basis(static_cast<size_t>(heads * r * d));
  q_rng.derive("basis").fill_normal(basis.data(), static_cast<int64_t>(basis.size()));
  for (int64_t bh = 0; bh < heads; ++bh) {
    double* b = basis.data() + bh * r * d;
    if (r >= d) {
      for (int64_t e = 0; e < r * d; ++e) b[e] /= std::sqrt(static_cast<double>(r));
      continue;
    }
    for (int64_t i = 0; i < r; ++i) {  // modified Gram-Schmidt over the rows
      double* row = b + i * d;
      for (int64_t p = 0; p < i; ++p) {
        const double* prev = b + p * d;
        double dot = 0;
        for (int64_t j = 0; j < d; ++j) dot += row[j] * prev[j];
        for (int64_t j = 0; j < d; ++j) row[j] -= dot * prev[j];
      }
      double norm = 0;
      for (int64_t j = 0; j < d; ++j) norm += row[j] * row[j];
      norm = std::sqrt(norm);
      for (int64_t j = 0; j < d; ++j) row[j] /= norm;
    }
    const double scale = std::sqrt(static_cast<double>(d) / static_cast<double>(r));
    for (int64_t e = 0; e < r * d; ++e) b[e] *= scale;
  }
  auto project = [&](const Rng& rng, std::vector<float>& x) {
    const Rng zr = rng.derive("z");
    std::vector<double> z(static_cast<size_t>(n * r)), acc(static_cast<size_t>(d));
    for (int64_t bh = 0; bh < heads; ++bh) {
      zr.fill_normal(z.data(), n * r, static_cast<uint64_t>(bh * n * r));
      const double* b = basis.data() + bh * r * d;
      for (int64_t i = 0; i < n; ++i) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t p = 0; p < r; ++p)
          for (int64_t j = 0; j < d; ++j) acc[j] += z[i * r + p] * b[p * d + j];
        float* row = x.data() + (bh * n + i) * d;
        for (int64_t j = 0; j < d; ++j) row[j] = static_cast<float>(acc[j]);
      }
    }
  };
  project(q_rng, t.q);
  project(k_rng, t.k);
}

// Rotary position embedding on noisy shared directions (a language-model-like regime): per head a
// direction u ~ N(0, I) shared by Q and K; token i is u + 0.5 N(0, I), rotated pairwise by angles
// i * 10000^(-2c/d) (RoPE; an odd last coordinate stays put). q_i . k_j then carries
// sum_c |u_c|^2 cos((i - j) theta_c): attention peaks at the diagonal and decays with distance.
void fill_rope(const InputSpec& s, const Rng& q_rng, const Rng& k_rng, InputTensors& t) {
  const int64_t n = s.seq_len, d = s.head_dim, heads = s.batch * s.heads;
  std::vector<float> dirs(static_cast<size_t>(heads * d));
  q_rng.derive("direction").fill_normal(dirs.data(), static_cast<int64_t>(dirs.size()));
  auto place = [&](const Rng& rng, std::vector<float>& x) {
    rng.derive("noise").fill_normal(x.data(), static_cast<int64_t>(x.size()));
    for (int64_t bh = 0; bh < heads; ++bh)
      for (int64_t i = 0; i < n; ++i) {
        float* row = x.data() + (bh * n + i) * d;
        const float* u = dirs.data() + bh * d;
        for (int64_t c = 0; c < d; ++c) row[c] = u[c] + 0.5f * row[c];
        for (int64_t c = 0; c + 1 < d; c += 2) {
          const double angle = static_cast<double>(i) * std::pow(10000.0, -static_cast<double>(c) / static_cast<double>(d));
          const double cs = std::cos(angle), sn = std::sin(angle), a = row[c], b = row[c + 1];
          row[c] = static_cast<float>(a * cs - b * sn);
          row[c + 1] = static_cast<float>(a * sn + b * cs);
        }
      }
  };
  place(q_rng, t.q);
  place(k_rng, t.k);
}

// Attention sinks (real models send most of the mass to a few early tokens): per head a direction
// a ~ N(0, I); every query gets + a / 2 and the first `sinks` keys become 2 a + k / 2, so their
// logits sit near |a|^2 / sqrt(d) = sqrt(d) above the rest (at temperature 1).
void add_sinks(const InputSpec& s, const Rng& rng, InputTensors& t) {
  const int64_t n = s.seq_len, d = s.head_dim, heads = s.batch * s.heads, count = std::min(s.sinks, n);
  std::vector<float> a(static_cast<size_t>(heads * d));
  rng.derive("sink").fill_normal(a.data(), static_cast<int64_t>(a.size()));
  for (int64_t bh = 0; bh < heads; ++bh) {
    const float* dir = a.data() + bh * d;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < d; ++c) t.q[(bh * n + i) * d + c] += 0.5f * dir[c];
    for (int64_t j = 0; j < count; ++j)
      for (int64_t c = 0; c < d; ++c) {
        float& x = t.k[(bh * n + j) * d + c];
        x = 2.0f * dir[c] + 0.5f * x;
      }
  }
}

// Rows of x scaled to unit L2 norm (a zero row stays zero).
void normalize_rows(std::vector<float>& x, int64_t d) {
  for (size_t r = 0; r < x.size() / static_cast<size_t>(d); ++r) {
    float* row = x.data() + r * static_cast<size_t>(d);
    double sq = 0;
    for (int64_t c = 0; c < d; ++c) sq += static_cast<double>(row[c]) * row[c];
    const double inv = sq > 0 ? 1.0 / std::sqrt(sq) : 0.0;
    for (int64_t c = 0; c < d; ++c) row[c] = static_cast<float>(row[c] * inv);
  }
}

struct Distribution {
  std::string name;
  Fill fill;  // nullptr: read from files
};

const std::vector<Distribution>& distributions() {
  static const std::vector<Distribution> all = {
      {"gaussian", fill_gaussian}, {"clustered", fill_clustered}, {"local", fill_local},
      {"lowrank", fill_lowrank},   {"rope", fill_rope},   {"file", nullptr},
      {"real", nullptr},
  };
  return all;
}

// Reads one operand and checks it against the spec; every error names the file and the field.
std::vector<float> read_operand(const std::string& path, const InputSpec& s) {
  NpyArray a = read_npy(path);
  Shape got;
  if (a.shape.size() == 2) {
    got = {1, 1, a.shape[0], a.shape[1]};
  } else if (a.shape.size() == 4) {
    got = {a.shape[0], a.shape[1], a.shape[2], a.shape[3]};
  } else {
    throw UsageError(fmt::format("{}: expected shape [N, d] or [B, H, N, d], got {} dimensions", path, a.shape.size()));
  }
  auto check = [&](int64_t in_file, int64_t in_spec, std::string_view field) {
    if (in_file != in_spec)
      throw UsageError(fmt::format("{}: {} is {} in the file but {} in the spec", path, field, in_file, in_spec));
  };
  check(got.seq_len, s.seq_len, "inputs.seq_len");
  check(got.head_dim, s.head_dim, "inputs.head_dim");
  check(got.batch, s.batch, "inputs.batch");
  check(got.heads, s.heads, "inputs.heads");
  return std::move(a.data);
}

// The key the random streams are drawn under: the group key of the same inputs at temperature 1,
// non-causal, fp32, since none of those change the draw (the causal and non-causal runs, and the
// fp32 and fp16 runs, then see the same tensors).
std::string draw_key(InputSpec s) {
  s.temperature = 1.0;
  s.sinks = 0;          // options modify the base draw; they do not change it
  s.unit_norm = false;
  s.causal = false;
  s.dtype = DType::f32;
  return s.group_key();
}

}  // namespace

const std::vector<std::string>& distribution_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& d : distributions()) out.push_back(d.name);
    return out;
  }();
  return names;
}

InputTensors make_inputs(const InputSpec& spec) {
  const Distribution* dist = nullptr;
  for (const auto& d : distributions())
    if (d.name == spec.distribution) dist = &d;
  if (!dist)
    throw UsageError(fmt::format("inputs.distribution: unknown distribution '{}' (known: {})", spec.distribution,
                                 fmt::join(distribution_names(), ", ")));
  if (spec.seq_len < 1 || spec.head_dim < 1 || spec.batch < 1 || spec.heads < 1)
    throw UsageError(fmt::format("inputs: shape must be positive (got B={} H={} N={} d={})", spec.batch, spec.heads,
                                 spec.seq_len, spec.head_dim));
  if (spec.temperature <= 0 || !std::isfinite(spec.temperature))
    throw UsageError(fmt::format("inputs.temperature: must be > 0 (got {:g})", spec.temperature));

  if (spec.sinks < 0) throw UsageError(fmt::format("inputs.sinks: must be >= 0 (got {})", spec.sinks));
  if (!dist->fill && (spec.sinks > 0 || spec.unit_norm))
    throw UsageError(fmt::format("inputs: sinks and unit_norm apply to generated distributions, not '{}'",
                                 spec.distribution));

  InputTensors t;
  t.shape = spec.shape();
  if (dist->fill) {
    if (spec.clusters < 1 || spec.subspace_dim < 1 || spec.smoothing < 1)
      throw UsageError("inputs: clusters, subspace_dim and smoothing must be >= 1");
    const auto n = static_cast<size_t>(t.shape.numel());
    t.q.resize(n);
    t.k.resize(n);
    t.v.resize(n);
    const std::string key = draw_key(spec);
    dist->fill(spec, Rng(spec.seed, key, "q"), Rng(spec.seed, key, "k"), t);
    Rng(spec.seed, key, "v").fill_normal(t.v.data(), static_cast<int64_t>(n));
    if (spec.sinks > 0) add_sinks(spec, Rng(spec.seed, key, "q"), t);
    if (spec.unit_norm) {
      normalize_rows(t.q, spec.head_dim);
      normalize_rows(t.k, spec.head_dim);
    }
  } else if (spec.distribution == "real") {
    t = make_real_inputs(spec);
  } else {
    t.q = read_operand(spec.q_path, spec);
    t.k = read_operand(spec.k_path, spec);
    t.v = read_operand(spec.v_path, spec);
  }
  if (spec.temperature != 1.0) {
    const auto scale = static_cast<float>(std::sqrt(spec.temperature));
    for (float& x : t.q) x *= scale;
    for (float& x : t.k) x *= scale;
  }
  return t;
}

void save_inputs(const InputTensors& t, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UsageError(fmt::format("{}: cannot create folder ({})", dir, ec.message()));
  const std::vector<int64_t> shape = {t.shape.batch, t.shape.heads, t.shape.seq_len, t.shape.head_dim};
  const auto path = [&](const char* name) { return (std::filesystem::path(dir) / name).string(); };
  write_npy(path("q.npy"), t.q.data(), shape);
  write_npy(path("k.npy"), t.k.data(), shape);
  write_npy(path("v.npy"), t.v.data(), shape);
}

}  // namespace attn
