#include "ops/cpu/vec_math.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTN_VEC_AVX2 1
#else
#define ATTN_VEC_AVX2 0
#endif

namespace attn::ops::cpu {

namespace {

constexpr float kUnderflow = -126.0f;  // below this 2^t is subnormal: flush to exactly 0

// Minimax coefficients of (2^f - 1) / f on [-1/2, 1/2] (Cephes exp2f), highest degree first.
constexpr float kP0 = 1.535336188319500e-4f;
constexpr float kP1 = 1.339887440266574e-3f;
constexpr float kP2 = 9.618437357674640e-3f;
constexpr float kP3 = 5.550332471162809e-2f;
constexpr float kP4 = 2.402264791363012e-1f;
constexpr float kP5 = 6.931472028550421e-1f;

// Scalar twin of the vector path, used for tails, so every element follows the same formula.
inline float exp2_scalar(float t) {
  if (!(t >= kUnderflow)) return 0.0f;  // also catches NaN-free -inf
  t = std::min(t, 127.0f);
  const float n = std::nearbyint(t);
  const float f = t - n;
  float p = kP0;
  p = p * f + kP1;
  p = p * f + kP2;
  p = p * f + kP3;
  p = p * f + kP4;
  p = p * f + kP5;
  return std::ldexp(1.0f + p * f, static_cast<int>(n));
}

#if ATTN_VEC_AVX2
inline __m256 exp2_vec(__m256 t) {
  const __m256 keep = _mm256_cmp_ps(t, _mm256_set1_ps(kUnderflow), _CMP_GE_OQ);
  t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(kUnderflow)), _mm256_set1_ps(127.0f));
  const __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 f = _mm256_sub_ps(t, n);
  __m256 p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  // 2^n assembled in the exponent field; n is in [-126, 127], so the biased exponent is valid.
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(bits)), keep);
}
#endif

}  // namespace

float exp2_affine_sum(float* x, int64_t n, float a, float b) {
  int64_t i = 0;
  float sum = 0.0f;
#if ATTN_VEC_AVX2
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    const __m256 e0 = exp2_vec(_mm256_fmsub_ps(va, _mm256_loadu_ps(x + i), vb));
    const __m256 e1 = exp2_vec(_mm256_fmsub_ps(va, _mm256_loadu_ps(x + i + 8), vb));
    _mm256_storeu_ps(x + i, e0);
    _mm256_storeu_ps(x + i + 8, e1);
    acc0 = _mm256_add_ps(acc0, e0);
    acc1 = _mm256_add_ps(acc1, e1);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 e0 = exp2_vec(_mm256_fmsub_ps(va, _mm256_loadu_ps(x + i), vb));
    _mm256_storeu_ps(x + i, e0);
    acc0 = _mm256_add_ps(acc0, e0);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(acc0, acc1));
  for (float v : lanes) sum += v;
#endif
  for (; i < n; ++i) {
    x[i] = exp2_scalar(std::fma(a, x[i], -b));
    sum += x[i];
  }
  return sum;
}

double exp2_affine_sum(double* x, int64_t n, double a, double b) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double t = a * x[i] - b;
    x[i] = t >= -1022.0 ? std::exp2(t) : 0.0;
    sum += x[i];
  }
  return sum;
}

float max_of(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
#if ATTN_VEC_AVX2
  __m256 v0 = _mm256_set1_ps(m), v1 = v0;
  for (; i + 16 <= n; i += 16) {
    v0 = _mm256_max_ps(v0, _mm256_loadu_ps(x + i));
    v1 = _mm256_max_ps(v1, _mm256_loadu_ps(x + i + 8));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_max_ps(v0, v1));
  for (float v : lanes) m = std::max(m, v);
#endif
  for (; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

double max_of(const double* x, int64_t n) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

}  // namespace attn::ops::cpu
