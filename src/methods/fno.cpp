// fno: the Fourier Neural Operator's spectral convolution as a sequence mixer.
//
// Paper: Li et al., "Fourier Neural Operator for Parametric PDEs", ICLR 2021; Kovachki et al.,
// "Neural Operator", JMLR 2023 (official code: neuraloperator/neuraloperator,
// neuralop/layers/spectral_convolution.py). Card: shared/methods/lowrank.md card 7a.
// Approximates: nothing; a band-limited global circular convolution with dense channel mixing per
// frequency (reference kind `self`: the dense-DFT form; the tests also check it against the direct
// circular convolution sum_i x_i (*) kappa_io).
//   y = irfft(Yhat, n=N) / N + b,  Yhat[f] = rfft(x)[f] W[f] for the k lowest bins f, 0 elsewhere,
//   with x = V (per head, channels = the d features). Only the k kept bins are ever stored
//   (ops::rfft_bins / irfft_bins), not the full N/2 + 1 spectrum the official code allocates.
// Complexity: O(d N log N) FFTs, or O(k d N) direct sums for k <= 2 log2 N (ops::rfft_bins picks the
// cheaper: FNO's default 16 modes are summed directly), + O(k d^2) mixing; memory O(k d^2) plus
// per-thread FFT blocks.
// Exactness: none vs softmax; fast path = dense-DFT form to fp32 rounding (tested).
// Parameters: modes (= rank; 16) = kept rfft bins k (the library's n_modes = M keeps M//2+1:
// record k), init (auto: W complex normal, std sqrt(2/(2d)) = 1/sqrt(d), as init_std='auto';
// legacy: (U[0,1) + iU[0,1)) / d^2 of the original FNO1d), bias (true; ~ std N(0,1)).
// fft_norm is not a parameter: 'forward' (rfft/N, irfft) and 'backward' (rfft, irfft/N) give the
// same operator for the same W; the 1/N is folded into the fp32 weights.
// Budget: rank = k; k > N/2 + 1 is infeasible (skipped).
// Deviations: weights per head, drawn from (seed, case, "fno/weights"); the Hermitian fix (imaginary
// parts of the DC and Nyquist bins dropped) is what irfft does anyway; no skip/GELU/MLP (the mixer
// alone is timed).
#include <complex>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/dft.hpp"
#include "ops/fft.hpp"
#include "ops/spectral.hpp"

namespace attn {
namespace {

using cf = std::complex<float>;
using cd = std::complex<double>;

ops::FftShape fft_shape(const CaseShape& s) {
  return {.batch = s.heads_total(), .n = s.seq_len, .channels = s.head_dim};
}

class Fno final : public Method {
 public:
  explicit Fno(const MethodConfig& c) : config_(c), k_(c.params.get_int("modes")) {
    const auto& s = c.shape;
    const int64_t d = s.head_dim;
    const bool legacy = c.params.get_string("init") == "legacy";
    const double std_w = 1.0 / std::sqrt(double(d));  // sqrt(2 / (C_in + C_out))
    const Rng rng(c.seed, c.rng_key, "fno/weights");
    weights_.resize(static_cast<size_t>(s.heads * k_ * d * d));
    for (size_t i = 0; i < weights_.size(); ++i)
      weights_[i] = legacy ? cd(rng.uniform(2 * i), rng.uniform(2 * i + 1)) / double(d * d)
                           : cd(rng.normal(2 * i), rng.normal(2 * i + 1)) * (std_w / std::sqrt(2.0));
    bias_.assign(static_cast<size_t>(s.heads_total() * d), 0.0f);
    if (c.params.get_bool("bias")) {
      const Rng brng(c.seed, c.rng_key, "fno/bias");
      for (int64_t b = 0; b < s.heads_total(); ++b)
        for (int64_t j = 0; j < d; ++j)
          bias_[b * d + j] = static_cast<float>(std_w * brng.normal(static_cast<uint64_t>((b % s.heads) * d + j)));
    }
    bins_.resize(static_cast<size_t>(k_));
    std::iota(bins_.begin(), bins_.end(), 0);
  }

  void prepare(Context& ctx) override {
    std::vector<cf> fast(weights_.size());
    for (size_t i = 0; i < fast.size(); ++i) fast[i] = cf(weights_[i] / double(config_.shape.seq_len));
    w_ = ctx.ws().get<cf>("fno.weights", static_cast<int64_t>(fast.size()));
    copy_bytes(w_, ctx.device, fast.data(), Device::cpu, fast.size() * sizeof(cf));
    b_ = ctx.ws().get<float>("fno.bias", static_cast<int64_t>(bias_.size()));
    copy_bytes(b_, ctx.device, bias_.data(), Device::cpu, bias_.size() * sizeof(float));
    idx_ = ctx.ws().get<int64_t>("fno.bins", k_);
    copy_bytes(idx_, ctx.device, bins_.data(), Device::cpu, bins_.size() * sizeof(int64_t));
    ops::prepare_fft<float>(ctx, fft_shape(config_.shape), k_);
  }

  void forward(Context& ctx, const Tensor&, const Tensor&, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), d = s.head_dim;
    const ops::FftShape fs = fft_shape(s);
    cf* xs = ctx.ws().get<cf>("fno.modes_in", bh * k_ * d);
    cf* ys = ctx.ws().get<cf>("fno.modes_out", bh * k_ * d);
    ops::rfft_bins<float>(ctx, fs, v.ptr<float>(), idx_, k_, xs);
    ops::spectral_mix<float>(ctx, mix_shape(), xs, w_, ys);
    ops::irfft_bins<float>(ctx, fs, idx_, k_, ys, out.ptr<float>(), config_.params.get_bool("bias") ? b_ : nullptr);
  }

  void forward_own_exact(Context& ctx, const Tensor&, const Tensor&, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), n = s.seq_len, d = s.head_dim;
    const ops::DftShape ds{.batch = bh, .n = n, .channels = d};
    std::vector<cd> xs(static_cast<size_t>(bh * k_ * d)), ys(xs.size());
    ops::dft_bins_reference<float>(ctx, ds, v.ptr<float>(), bins_.data(), k_, xs.data());
    ops::spectral_mix<double>(ctx, mix_shape(), xs.data(), weights_.data(), ys.data());
    for (auto& z : ys) z /= double(n);
    ops::idft_real_reference<float>(ctx, ds, bins_.data(), k_, ys.data(), out.ptr<float>());
    float* o = out.ptr<float>();
    for (int64_t b = 0; b < bh; ++b)
      for (int64_t t = 0; t < n; ++t)
        for (int64_t j = 0; j < d; ++j) o[(b * n + t) * d + j] += bias_[b * d + j];
  }

  nlohmann::json diagnostics() const override { return {{"kept_bins", k_}, {"library_n_modes", 2 * (k_ - 1)}}; }

 private:
  ops::SpectralMixShape mix_shape() const {
    const auto& s = config_.shape;
    return {.batch = s.heads_total(), .modes = k_, .channels_in = s.head_dim, .channels_out = s.head_dim,
            .weight_sets = s.heads};
  }

  MethodConfig config_;
  int64_t k_;
  std::vector<cd> weights_;
  std::vector<float> bias_;
  std::vector<int64_t> bins_;
  cf* w_ = nullptr;
  float* b_ = nullptr;
  int64_t* idx_ = nullptr;
};

double fno_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const double bh = double(s.heads_total()), d = double(s.head_dim), k = double(p.get_int("modes")), c = sizeof(cf);
  return double(s.heads) * k * d * d * c + bh * d * sizeof(float) + k * sizeof(int64_t) + 2 * bh * k * d * c +
         double(s.device == Device::cuda
                    ? ops::fft_scratch_bytes_cuda(fft_shape(s), sizeof(float), p.get_int("modes"))
                    : ops::fft_scratch_bytes(fft_shape(s), sizeof(float), threads, p.get_int("modes")));
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "fno",
    .family = "frequency",
    .summary = "FNO spectral convolution over the sequence: k lowest modes, dense channel mixing (a different operator)",
    .paper = "Li et al., Fourier Neural Operator for Parametric PDEs, ICLR 2021",
    .params = {{.name = "modes", .type = ParamType::integer, .default_value = int64_t{16}, .min = 1, .max = 1 << 20,
                .doc = "kept rfft bins k (rank); the library's n_modes = 2 (k - 1)"},
               {.name = "init", .type = ParamType::string, .default_value = std::string("auto"),
                .choices = {"auto", "legacy"}, .doc = "auto: complex normal, std 1/sqrt(d); legacy: (U + iU) / d^2"},
               {.name = "bias", .type = ParamType::boolean, .default_value = true, .doc = "add a per-channel bias"}},
    .budget_doc = "rank = kept rfft bins k (must be <= N/2 + 1)",
    .uses_rank = true,
    .randomized = true,
    .subquadratic = true,
    .complexity = "O(d N log N + k d^2) time, O(N d + k d^2) memory",
    .reference = ReferenceKind::self,
    .apply_budget = [](const Budget& b, const CaseShape& s, const std::vector<std::string>& ex, ParamSet& p,
                       Realized& r) {
      const int64_t k = apply_rank(b, ex, p, "modes");
      if (k > s.seq_len / 2 + 1)
        throw UnsupportedError(fmt::format("fno: {} modes > N/2 + 1 = {} rfft bins", k, s.seq_len / 2 + 1));
      r.rank = k;
    },
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const double d = double(s.head_dim), k = double(p.get_int("modes"));
      return 2 * ops::fft_bins_flops(fft_shape(s), p.get_int("modes")) + double(s.heads_total()) * (8 * k * d * d);
    },
    .workspace_bytes = fno_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Fno>(c); },
}};

}  // namespace
}  // namespace attn
