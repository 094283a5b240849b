// Small helpers shared by the ops tests (header-only, so the tests/CMakeLists glob of test_*.cpp
// and support/*.cpp does not turn it into a test or link it into other layers' tests).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/rng.hpp"
#include "core/workspace.hpp"

namespace attn::testing {

// A CPU context with its own tracked workspace.
struct CpuCase {
  explicit CpuCase(int threads = 2) {
    ctx.device = Device::cpu;
    ctx.workspace = &ws;
    ctx.threads = threads;
  }
  Workspace ws{Device::cpu};
  Context ctx;
};

template <class T>
std::vector<T> normal_vector(int64_t n, uint64_t seed, const std::string& purpose, double scale = 1.0) {
  std::vector<double> tmp(static_cast<std::size_t>(n));
  Rng(seed, "ops-test", purpose).fill_normal(tmp.data(), n);
  std::vector<T> out(tmp.size());
  for (std::size_t i = 0; i < tmp.size(); ++i) out[i] = static_cast<T>(tmp[i] * scale);
  return out;
}

template <class T>
std::vector<T> uniform_vector(int64_t n, uint64_t seed, const std::string& purpose, double lo, double hi) {
  std::vector<double> tmp(static_cast<std::size_t>(n));
  Rng(seed, "ops-test", purpose).fill_uniform(tmp.data(), n);
  std::vector<T> out(tmp.size());
  for (std::size_t i = 0; i < tmp.size(); ++i) out[i] = static_cast<T>(lo + (hi - lo) * tmp[i]);
  return out;
}

template <class A, class B>
double max_abs_diff(const std::vector<A>& a, const std::vector<B>& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

template <class A, class B>
double rel_fro(const std::vector<A>& a, const std::vector<B>& ref) {
  double num = 0.0, den = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = double(a[i]) - double(ref[i]);
    num += d * d;
    den += double(ref[i]) * double(ref[i]);
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

// Normalized mean squared error (ggml's test-backend-ops metric).
template <class A, class B>
double nmse(const std::vector<A>& a, const std::vector<B>& ref) {
  const double r = rel_fro(a, ref);
  return r * r;
}

}  // namespace attn::testing
