// Random feature maps for kernelized attention (Performer FAVOR+ and its variants). The projection
// W [m, d] is drawn on the host (draw_projection) and shared by all heads; features are computed
// on the device of the context.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/context.hpp"
#include "core/half.hpp"
#include "core/rng.hpp"

namespace attn::ops {

enum class FeatureKind {
  positive,    // FAVOR+: (exp(u - |x|^2/2 - c) + eps) / sqrt(m), m columns
  trig,        // [cos u, sin u] * exp(|x|^2/2 - max_n |x_n|^2/2) / sqrt(m), 2m columns
  hyperbolic,  // [exp(u - c), exp(-u - c)] * exp(-|x|^2/2) / sqrt(2m), 2m columns
  fourier,     // [cos u, sin u] * scale_j (default 1/sqrt(m)), 2m columns: random Fourier features of a
               // shift-invariant kernel (RFA, RFF-Gauss, GMM spectra); no norm factor, no shift
};
// Stabilizing shift of the positive/hyperbolic features: per row (queries) or one per head (keys).
// `none` switches the stabilizer off (the closed-form MSE setting of kernel.md card 1).
enum class FeatureShift { per_row, per_head, none };

struct FeatureShape {
  int64_t batch = 1;        // heads, each [seq_len, head_dim]
  int64_t seq_len = 0;
  int64_t head_dim = 0;
  int64_t projections = 0;  // m: rows of W
  FeatureKind kind = FeatureKind::positive;
  FeatureShift shift = FeatureShift::per_row;
  double eps = 1e-6;        // positive features' stabilizer, added after the shift
  double input_scale = 1;   // x = input * input_scale before projecting (Performer: d^-1/4)
  bool l2_normalize = false;  // x = input / |input| * input_scale (RFA's unit-norm queries and keys)
};

int64_t feature_columns(const FeatureShape& s);  // m, or 2m for trig and hyperbolic

// x: [batch, seq_len, head_dim]; w: [projections, head_dim]; out: [batch, seq_len, feature_columns].
// proj_scale (fourier only, optional): [projections] per-frequency weights replacing 1/sqrt(m), so a
// mixture spectrum can fold its component weights into the features.
// shift_out (optional): the stabilizing shift c each row was divided by (features = exact map *
// e^-c): [batch * seq_len] for per_row, [batch] for per_head (and trig's shared max), unwritten for
// none/fourier. Scatterbrain needs it to put the low-rank term on the exact term's scale.
template <class T>
void random_features(const Context& ctx, const FeatureShape& s, const T* x, const T* w, T* out,
                     const T* proj_scale = nullptr, T* shift_out = nullptr);
// fp16 / bf16 input, W, output (and proj_scale, shift_out), GPU only: the projection on tensor cores
// with an fp32 result, the map computed in fp32 from it, each feature rounded once to the type.
// Not for l2_normalize (UnsupportedError naming the op and dtype); on the CPU UnsupportedError.
void random_features(const Context& ctx, const FeatureShape& s, const Half* x, const Half* w, Half* out,
                     const Half* proj_scale = nullptr, Half* shift_out = nullptr);
void random_features(const Context& ctx, const FeatureShape& s, const BFloat16* x, const BFloat16* w, BFloat16* out,
                     const BFloat16* proj_scale = nullptr, BFloat16* shift_out = nullptr);

// Workspace bytes one random_features call takes: none on the CPU; on the GPU the unit-norm copy
// of x ("random_features.unit", rows x d, with l2_normalize) and, for a shift shared across rows,
// the per-row candidates and head maxima ("random_features.shift", rows + batch doubles); with
// 16-bit elements (elem_bytes 2) also the fp32 projection ("random_features.proj", rows x m floats).
// Calls share the keys, so a method with several calls holds the larger size of each key, not the sum.
std::size_t random_features_scratch_bytes(const FeatureShape& s, std::size_t elem_bytes, Device device = Device::cpu);

// Host-side draw of W [m, d] (row-major) into `out`. orthogonal: blocks of d orthonormal rows from
// the QR of Gaussian d x d matrices (with the sign fix, so directions are Haar), rows rescaled by
// chi_d norms (`chi_norms`) or by sqrt(d); otherwise iid N(0, 1).
void draw_projection(const Rng& rng, int64_t m, int64_t d, bool orthogonal, bool chi_norms, float* out);
void draw_projection(const Rng& rng, int64_t m, int64_t d, bool orthogonal, bool chi_norms, double* out);

}  // namespace attn::ops
