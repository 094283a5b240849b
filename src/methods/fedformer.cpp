// fedformer: FEDformer's frequency-enhanced block (FEB-f) and frequency-enhanced attention (FEA-f).
//
// Paper: Zhou et al., "FEDformer: Frequency Enhanced Decomposed Transformer for Long-term Series
// Forecasting", ICML 2022 (official code: MAZiqing/FEDformer, layers/FourierCorrelation.py).
// Card: shared/methods/lowrank.md card 6 and Appendix C.
// Approximates: nothing; a different operator (reference kind `self`: the same operator evaluated
// with explicit fp64 DFT sums, ops/dft.hpp). Untrained weights, so the softmax error is noise.
//   FEB-f (variant=feb): y = irfft(Yhat) with Yhat[slot(w)] = rfft(x)[I[w]] R[w] (per head, E x E
//     complex per mode), x = V by default (`input`), q and k otherwise ignored.
//   FEA-f (variant=fea): S = Qhat[I_q] Khat[I_kv]^T (bilinear, no conjugation), sigma = tanh(S) or a
//     row softmax of |S|, O = sigma Khat[I_kv] (official values) or sigma Vhat[I_kv] (paper), then
//     Yhat[I_q[x]] = O[x] R[x] and y = irfft(Yhat / d_model^2).
// Complexity: O(E N log N) FFTs + O(M E^2) mode mixing (FEA-f: + O(M^2 E)); memory O(M E^2) plus
// per-thread FFT blocks (only the M selected bins are stored, not full spectra).
// Exactness: none vs softmax; fast path = dense-DFT form to fp32 rounding (tested).
// Parameters: variant (feb), modes (= rank; 64), mode_select (random: a seeded shuffle of the
// candidates 0..N/2-1, first M, sorted; low: 0..M-1), slot_mapping (official: FEB-f writes mode w
// to output bin w; faithful: to bin I[w]), value_source (official_k | paper_v), activation (tanh |
// softmax), input (v | q: what FEB-f transforms).
// Budget: rank = modes; M = min(modes, N/2) silently, as the official get_frequency_modes.
// Deviations: weights R ~ (U[0,1) + i U[0,1)) / d_model^2 (d_model = H E) drawn per head from
// (seed, case, "fedformer/weights"), modes from "fedformer/modes_q" / "fedformer/modes_kv" instead
// of numpy's global RNG; the layer's reshape-without-permute quirk is not reproduced (clean [N, E]
// per head, as the card asks); irfft's 1/N (torch norm="backward") is folded into the weights.
#include <algorithm>
#include <complex>
#include <numeric>
#include <vector>

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

int64_t clamped_modes(const CaseShape& s, const ParamSet& p) { return std::min(p.get_int("modes"), s.seq_len / 2); }
bool is_fea(const ParamSet& p) { return p.get_string("variant") == "fea"; }
bool paper_values(const ParamSet& p) { return p.get_string("value_source") == "paper_v"; }
ops::FftShape fft_shape(const CaseShape& s) {
  return {.batch = s.heads_total(), .n = s.seq_len, .channels = s.head_dim};
}

// get_frequency_modes: M of the candidates 0..N/2-1, shuffled by `rng` ('random') or the lowest.
std::vector<int64_t> select_modes(int64_t n, int64_t m, bool random, const Rng& rng) {
  std::vector<int64_t> c(static_cast<size_t>(n / 2));
  std::iota(c.begin(), c.end(), 0);
  if (random)
    for (int64_t i = static_cast<int64_t>(c.size()) - 1; i > 0; --i)  // Fisher-Yates
      std::swap(c[i], c[static_cast<int64_t>(rng.below(static_cast<uint64_t>(i), static_cast<uint64_t>(i + 1)))]);
  c.resize(static_cast<size_t>(m));
  std::sort(c.begin(), c.end());
  return c;
}

class Fedformer final : public Method {
 public:
  explicit Fedformer(const MethodConfig& c) : config_(c), m_(clamped_modes(c.shape, c.params)) {
    const auto& s = c.shape;
    const bool random = c.params.get_string("mode_select") == "random";
    modes_q_ = select_modes(s.seq_len, m_, random, Rng(c.seed, c.rng_key, "fedformer/modes_q"));
    modes_kv_ = is_fea(c.params) ? select_modes(s.seq_len, m_, random, Rng(c.seed, c.rng_key, "fedformer/modes_kv"))
                                 : modes_q_;
    if (is_fea(c.params) || c.params.get_string("slot_mapping") == "faithful") {
      slots_ = modes_q_;
    } else {
      slots_.resize(static_cast<size_t>(m_));
      std::iota(slots_.begin(), slots_.end(), 0);
    }
    // R[h, w] (E x E) ~ (U + iU) / d_model^2, in fp64 for the reference.
    const int64_t e = s.head_dim, d_model = s.heads * e;
    const Rng rng(c.seed, c.rng_key, "fedformer/weights");
    weights_.resize(static_cast<size_t>(s.heads * m_ * e * e));
    for (size_t i = 0; i < weights_.size(); ++i)
      weights_[i] = cd(rng.uniform(2 * i), rng.uniform(2 * i + 1)) / double(d_model * d_model);
    // The fast path folds irfft's 1/N (and FEA-f's extra 1/d_model^2) into its fp32 copy.
    const double fold = 1.0 / double(s.seq_len) / (is_fea(c.params) ? double(d_model * d_model) : 1.0);
    weights_fast_.resize(weights_.size());
    for (size_t i = 0; i < weights_.size(); ++i) weights_fast_[i] = cf(weights_[i] * fold);
  }

  void prepare(Context& ctx) override {
    w_ = ctx.ws().get<cf>("fedformer.weights", static_cast<int64_t>(weights_fast_.size()));
    copy_bytes(w_, ctx.device, weights_fast_.data(), Device::cpu, weights_fast_.size() * sizeof(cf));
    idx_ = ctx.ws().get<int64_t>("fedformer.modes", 3 * m_);
    std::vector<int64_t> all(modes_q_);
    all.insert(all.end(), modes_kv_.begin(), modes_kv_.end());
    all.insert(all.end(), slots_.begin(), slots_.end());
    copy_bytes(idx_, ctx.device, all.data(), Device::cpu, all.size() * sizeof(int64_t));
    ops::prepare_fft<float>(ctx, fft_shape(config_.shape), m_);
  }

  // Only the M selected bins of each spectrum are computed and stored (ops::rfft_bins), and the
  // output is synthesized from the M written bins (ops::irfft_bins).
  void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), e = s.head_dim, block = bh * m_ * e;
    const ops::FftShape fs = fft_shape(s);
    const ops::SpectralMixShape mix{.batch = bh, .modes = m_, .channels_in = e, .channels_out = e,
                                    .weight_sets = s.heads};
    const int64_t *modes_q = idx_, *modes_kv = idx_ + m_, *slots = idx_ + 2 * m_;
    if (!is_fea(config_.params)) {
      cf* sel = ctx.ws().get<cf>("fedformer.selected", 2 * block);  // X[I], then Y
      const Tensor& x = config_.params.get_string("input") == "q" ? q : v;
      ops::rfft_bins<float>(ctx, fs, x.ptr<float>(), modes_q, m_, sel);
      ops::spectral_mix<float>(ctx, mix, sel, w_, sel + block);
      ops::irfft_bins<float>(ctx, fs, slots, m_, sel + block, out.ptr<float>());
      return;
    }
    const bool paper = paper_values(config_.params);
    cf* sel = ctx.ws().get<cf>("fedformer.selected", (paper ? 3 : 2) * block);  // Qhat[I_q], Khat[I_kv], Vhat[I_kv]
    cf* scores = ctx.ws().get<cf>("fedformer.scores", bh * m_ * m_);
    cf* o = ctx.ws().get<cf>("fedformer.o", block);
    cf *qs = sel, *ks = sel + block, *vs = paper ? sel + 2 * block : ks;
    ops::rfft_bins<float>(ctx, fs, q.ptr<float>(), modes_q, m_, qs);
    ops::rfft_bins<float>(ctx, fs, k.ptr<float>(), modes_kv, m_, ks);
    if (paper) ops::rfft_bins<float>(ctx, fs, v.ptr<float>(), modes_kv, m_, vs);
    attend(ctx, bh, e, qs, ks, vs, scores, o);
    ops::spectral_mix<float>(ctx, mix, o, w_, qs);  // Yhat[I_q] (Qhat[I_q] is no longer needed)
    ops::irfft_bins<float>(ctx, fs, slots, m_, qs, out.ptr<float>());
  }

  // The same operator with explicit fp64 DFT sums and fp64 mixing (host memory, CPU only).
  void forward_own_exact(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) override {
    const auto& s = config_.shape;
    const int64_t bh = s.heads_total(), n = s.seq_len, e = s.head_dim, d_model = s.heads * e;
    const ops::DftShape ds{.batch = bh, .n = n, .channels = e};
    std::vector<cd> qs(static_cast<size_t>(bh * m_ * e)), y(qs.size()), ks, vs, scores, o;
    const ops::SpectralMixShape mix{.batch = bh, .modes = m_, .channels_in = e, .channels_out = e,
                                    .weight_sets = s.heads};
    double scale = 1.0 / double(n);
    if (!is_fea(config_.params)) {
      const Tensor& x = config_.params.get_string("input") == "q" ? q : v;
      ops::dft_bins_reference<float>(ctx, ds, x.ptr<float>(), modes_q_.data(), m_, qs.data());
      ops::spectral_mix<double>(ctx, mix, qs.data(), weights_.data(), y.data());
    } else {
      ks.resize(qs.size());
      ops::dft_bins_reference<float>(ctx, ds, q.ptr<float>(), modes_q_.data(), m_, qs.data());
      ops::dft_bins_reference<float>(ctx, ds, k.ptr<float>(), modes_kv_.data(), m_, ks.data());
      if (paper_values(config_.params)) {
        vs.resize(qs.size());
        ops::dft_bins_reference<float>(ctx, ds, v.ptr<float>(), modes_kv_.data(), m_, vs.data());
      }
      scores.resize(static_cast<size_t>(bh * m_ * m_));
      o.resize(qs.size());
      attend(ctx, bh, e, qs.data(), ks.data(), vs.empty() ? ks.data() : vs.data(), scores.data(), o.data());
      ops::spectral_mix<double>(ctx, mix, o.data(), weights_.data(), y.data());
      scale /= double(d_model * d_model);
    }
    for (auto& z : y) z *= scale;
    ops::idft_real_reference<float>(ctx, ds, slots_.data(), m_, y.data(), out.ptr<float>());
  }

  nlohmann::json diagnostics() const override {
    return {{"modes", m_}, {"modes_q", modes_q_}, {"modes_kv", modes_kv_}, {"output_bins", slots_}};
  }

 private:
  // FEA-f's mode attention: S = Qs Ks^T, sigma(S), O = sigma Vs (all [bh, M, .] complex).
  template <class T>
  void attend(Context& ctx, int64_t bh, int64_t e, const std::complex<T>* qs, const std::complex<T>* ks,
              const std::complex<T>* vs, std::complex<T>* scores, std::complex<T>* o) {
    auto qk = ops::gemm_shape(ops::Trans::no, ops::Trans::yes, m_, m_, e, bh);
    auto sv = ops::gemm_shape(ops::Trans::no, ops::Trans::no, m_, e, m_, bh);
    ops::complex_gemm<T>(ctx, qk, T(1), qs, ks, T(0), scores);
    const auto act = config_.params.get_string("activation") == "tanh" ? ops::ComplexActivation::tanh
                                                                       : ops::ComplexActivation::softmax_abs;
    ops::complex_activation<T>(ctx, act, bh, m_, m_, scores);
    ops::complex_gemm<T>(ctx, sv, T(1), scores, vs, T(0), o);
  }

  MethodConfig config_;
  int64_t m_;
  std::vector<int64_t> modes_q_, modes_kv_, slots_;
  std::vector<cd> weights_;
  std::vector<cf> weights_fast_;
  cf* w_ = nullptr;
  int64_t* idx_ = nullptr;
};

double fedformer_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const double bh = double(s.heads_total()), e = double(s.head_dim), m = double(clamped_modes(s, p)), c = sizeof(cf);
  double bytes = double(s.heads) * m * e * e * c + 3 * m * sizeof(int64_t) +
                 double(s.device == Device::cuda
                            ? ops::fft_scratch_bytes_cuda(fft_shape(s), sizeof(float), clamped_modes(s, p))
                            : ops::fft_scratch_bytes(fft_shape(s), sizeof(float), threads, clamped_modes(s, p)));
  if (!is_fea(p)) return bytes + 2 * bh * m * e * c;
  return bytes + (paper_values(p) ? 3 : 2) * bh * m * e * c + bh * m * m * c + bh * m * e * c;
}

double fedformer_flops(const CaseShape& s, const ParamSet& p) {
  const double bh = double(s.heads_total()), e = double(s.head_dim), m = double(clamped_modes(s, p));
  const double fft = ops::fft_bins_flops(fft_shape(s), clamped_modes(s, p));  // all heads
  if (!is_fea(p)) return 2 * fft + bh * 8 * m * e * e;
  return (paper_values(p) ? 4 : 3) * fft + bh * (8 * m * e * e + 16 * m * m * e);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "fedformer",
    .family = "frequency",
    .summary = "FEDformer FEB-f / FEA-f: learned-style mixing of a few Fourier modes (a different operator)",
    .paper = "Zhou et al., FEDformer: Frequency Enhanced Decomposed Transformer, ICML 2022",
    .params = {{.name = "variant", .type = ParamType::string, .default_value = std::string("feb"),
                .choices = {"feb", "fea"}, .doc = "feb: frequency-enhanced block; fea: frequency-enhanced attention"},
               {.name = "modes", .type = ParamType::integer, .default_value = int64_t{64}, .min = 1, .max = 1 << 20,
                .doc = "Fourier modes M (rank); clamped to N/2"},
               {.name = "mode_select", .type = ParamType::string, .default_value = std::string("random"),
                .choices = {"random", "low"}, .doc = "random: seeded choice of M of 0..N/2-1; low: 0..M-1"},
               {.name = "slot_mapping", .type = ParamType::string, .default_value = std::string("official"),
                .choices = {"official", "faithful"}, .doc = "FEB-f: mode w to output bin w (official) or to I[w]"},
               {.name = "value_source", .type = ParamType::string, .default_value = std::string("official_k"),
                .choices = {"official_k", "paper_v"}, .doc = "FEA-f values: K's spectrum (official) or V's (paper)"},
               {.name = "activation", .type = ParamType::string, .default_value = std::string("tanh"),
                .choices = {"tanh", "softmax"}, .doc = "FEA-f: complex tanh, or row softmax of |S|"},
               {.name = "input", .type = ParamType::string, .default_value = std::string("v"),
                .choices = {"v", "q"}, .doc = "FEB-f: the sequence transformed (official: q)"}},
    .budget_doc = "rank = modes M (clamped to N/2)",
    .uses_rank = true,
    .randomized = true,
    .subquadratic = true,
    .complexity = "O(E N log N + M E^2) time, O(N E + M E^2) memory",
    .reference = ReferenceKind::self,
    .apply_budget = [](const Budget& b, const CaseShape& s, const std::vector<std::string>& ex, ParamSet& p,
                       Realized& r) {
      apply_rank(b, ex, p, "modes");
      r.rank = clamped_modes(s, p);
      if (*r.rank < 1) throw UnsupportedError("fedformer: N/2 < 1 leaves no Fourier mode");
    },
    .flops = fedformer_flops,
    .workspace_bytes = fedformer_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<Fedformer>(c); },
}};

}  // namespace
}  // namespace attn
