// Test helpers for running one registered method on generated inputs and measuring its error
// against references computed independently of the code under test (plain loops in fp64/fp32).
#pragma once

#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/rng.hpp"
#include "methods/registry.hpp"
#include "metrics/error_metrics.hpp"
#include "ops/attention_mask.hpp"

namespace attn::test {

// The budget of a sweep over every method: `rank` for a method that takes one, else `sparsity`, else
// none (one knob only: some methods refuse rank and sparsity together).
inline Budget one_knob_budget(const MethodInfo& info, int64_t rank, double sparsity) {
  Budget b;
  if (info.uses_rank) {
    b.rank = rank;
  } else if (info.uses_sparsity) {
    b.sparsity = sparsity;
  }
  return b;
}

struct Inputs {
  Shape shape;
  std::vector<float> q, k, v;
};

// iid N(0, scale^2) Q and K, N(0, 1) V; `local` adds a smooth positional signal (moving sum of 16)
// so attention concentrates near the diagonal.
inline Inputs make_inputs(Shape s, uint64_t seed, double scale = 1.0, bool smooth = false) {
  Inputs in{s, {}, {}, {}};
  const auto n = static_cast<size_t>(s.numel());
  auto draw = [&](const char* purpose, double sd, bool smooth_rows) {
    std::vector<float> x(n);
    const Rng rng(seed, "test-inputs", purpose);
    if (!smooth_rows) {
      for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(sd * rng.normal(i));
      return x;
    }
    constexpr int kWindow = 16;
    const int64_t rows = s.heads_total() * s.seq_len, d = s.head_dim, len = s.seq_len;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t head = r / len, t = r % len;
      for (int64_t c = 0; c < d; ++c) {
        double acc = 0;
        for (int w = 0; w < kWindow; ++w)
          acc += rng.normal(static_cast<uint64_t>((head * (len + kWindow) + t + w) * d + c));
        x[static_cast<size_t>(r * d + c)] = static_cast<float>(sd * acc / std::sqrt(double(kWindow)));
      }
    }
    return x;
  };
  in.q = draw("q", scale, smooth);
  in.k = draw("k", scale, smooth);
  in.v = draw("v", 1.0, false);
  return in;
}

// Softmax attention restricted to `allows(head, i, j)`, by plain loops in T (double: the reference;
// float: the "plain fp32 implementation" whose error sets the tolerance, FlashAttention's rule).
template <class T, class Allows>
std::vector<T> attention_by_loops(const Inputs& in, const Allows& allows) {
  const int64_t n = in.shape.seq_len, d = in.shape.head_dim;
  std::vector<T> out(in.q.size());
  std::vector<T> p(static_cast<size_t>(n));
  const T scale = T(1) / std::sqrt(T(d));
  for (int64_t h = 0; h < in.shape.heads_total(); ++h) {
    const float* q = in.q.data() + h * n * d;
    const float* k = in.k.data() + h * n * d;
    const float* v = in.v.data() + h * n * d;
    T* o = out.data() + h * n * d;
    for (int64_t i = 0; i < n; ++i) {
      T mx = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < n; ++j) {
        if (!allows(h, i, j)) continue;
        T s = 0;
        for (int64_t c = 0; c < d; ++c) s += T(q[i * d + c]) * T(k[j * d + c]);
        p[j] = s * scale;
        mx = std::max(mx, p[j]);
      }
      T sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        p[j] = allows(h, i, j) ? std::exp(p[j] - mx) : T(0);
        sum += p[j];
      }
      for (int64_t c = 0; c < d; ++c) {
        T acc = 0;
        for (int64_t j = 0; j < n; ++j) acc += p[j] * T(v[j * d + c]);
        o[i * d + c] = sum > 0 ? acc / sum : T(0);
      }
    }
  }
  return out;
}

// The same for a structured AttentionMask (causal, window, blocks).
template <class T>
std::vector<T> naive_attention(const Inputs& in, const ops::AttentionMask& mask) {
  return attention_by_loops<T>(in, [&](int64_t, int64_t i, int64_t j) { return mask.allows(i, j); });
}

struct MethodRun {
  std::vector<float> out;
  std::size_t peak_bytes = 0;
  double estimate_bytes = 0;
  ParamSet params;
  Realized realized;
  std::string replay;  // one line that names the case, printed on failure
};

// Runs a registered method once on the CPU, the way the runner does (prepare, then forward into a
// NaN-filled output).
inline MethodRun run_method(const std::string& name, const Inputs& in, bool causal, uint64_t seed, Budget budget = {},
                            std::vector<std::pair<std::string, ParamValue>> params = {}, int threads = 2) {
  const MethodInfo* info = MethodRegistry::instance().find(name);
  if (info == nullptr) throw std::runtime_error("no method " + name);
  const CaseShape cs{in.shape.batch, in.shape.heads, in.shape.seq_len, in.shape.head_dim, causal};
  MethodRun run;
  run.params = resolve_params(*info, budget, cs, params, run.realized);
  run.replay = fmt::format("replay: method={} params={} B={} H={} N={} d={} causal={} seed={} device=cpu", name,
                           run.params.to_json().dump(), cs.batch, cs.heads, cs.seq_len, cs.head_dim, causal, seed);
  Workspace ws(Device::cpu);
  Context ctx{.device = Device::cpu, .workspace = &ws, .threads = threads};
  auto method = info->create({.shape = cs, .params = run.params, .seed = seed, .rng_key = "test/" + name});
  auto view = [&](const std::vector<float>& x) {
    return Tensor{.data = const_cast<float*>(x.data()), .shape = in.shape};
  };
  run.out.assign(in.q.size(), std::numeric_limits<float>::quiet_NaN());
  Tensor out{.data = run.out.data(), .shape = in.shape};
  method->prepare(ctx);
  method->forward(ctx, view(in.q), view(in.k), view(in.v), out);
  run.peak_bytes = ws.peak_bytes();
  run.estimate_bytes = info->workspace_bytes(cs, run.params, threads);
  return run;
}

inline double rel_fro(const std::vector<float>& a, const std::vector<double>& ref, int64_t cols) {
  return compare_outputs(a.data(), ref.data(), static_cast<int64_t>(ref.size()) / cols, cols).rel_fro;
}

}  // namespace attn::test
