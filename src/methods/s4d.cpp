// s4d: the diagonal state-space convolution of S4D as a causal sequence mixer.
//
// Paper: Gu, Gupta, Goel, Re, "On the Parameterization and Initialization of Diagonal State Space
// Models", NeurIPS 2022 (official code: state-spaces/s4, models/s4/s4d.py). Card:
// shared/methods/lowrank.md card 8.
// Approximates: nothing; a per-channel linear time-invariant causal convolution (reference kind
// `self`: the ZOH recurrence x_l = Abar x_{l-1} + Bbar u_l, y_l = 2 Re(C x_l) + D u_l, in fp64).
//   K[l] = 2 Re sum_n Ct_n e^{dt A_n l}, Ct_n = C_n B_n (e^{dt A_n} - 1) / A_n   (Vandermonde, fp64)
//   y = irfft(rfft(u, L) rfft(K, L), L)[0:N] + D u, L = the fast FFT length >= 2N, u = V
//   (one fused op per block of channels, ops::fft_convolve_rows: u's spectrum is never stored; D is
//   added to K[0], so the skip term rides in the same convolution and y is written once).
// Complexity: O(d N_s N) kernel + O(d N log N) FFTs; memory O(N d) per head (kernel and its spectrum).
// Exactness: none vs softmax; fast path = recurrence to fp32 rounding (tested); causal always
// (the causal flag changes nothing).
// Parameters: state (= rank; 64 = 32 complex modes, the factor 2 Re), init (lin: A_n = -1/2 + i pi n,
// S4D-Lin as s4d.py; inv: -1/2 + i (N_s/pi)(N_s/(2n+1) - 1)), dt_min (1e-3), dt_max (1e-1),
// cache_kernel (false: the kernel is recomputed in every forward as in training; true: once in
// prepare, so the timed forward is the FFT convolution only).
// Budget: rank = state size N_s (even).
// Deviations: parameters per head and channel drawn from (seed, case, "s4d/params"): dt
// log-uniform, B = 1, C ~ CN(0, 1), D ~ N(0, 1); no GELU / output projection (the mixer alone).
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "core/device_memory.hpp"
#include "core/rng.hpp"
#include "methods/budget_helpers.hpp"
#include "methods/registry.hpp"
#include "ops/fft.hpp"
#include "ops/ssm.hpp"

namespace attn {
namespace {

using cf = std::complex<float>;
using cd = std::complex<double>;

ops::SsmShape ssm_shape(const CaseShape& s, const ParamSet& p) {
  return {.batch = s.heads_total(), .sets = s.heads, .n = s.seq_len, .channels = s.head_dim,
          .modes = p.get_int("state") / 2};
}

int64_t conv_length(const CaseShape& s) { return ops::fft_fast_length(2 * s.seq_len); }

// `items` sequences of N rows zero-padded to the convolution length L.
ops::FftShape conv_shape(const CaseShape& s, int64_t items) {
  return {.batch = items, .n = conv_length(s), .channels = s.head_dim, .rows = s.seq_len};
}

class S4d final : public Method {
 public:
  explicit S4d(const MethodConfig& c) : config_(c), ss_(ssm_shape(c.shape, c.params)) {
    const int64_t pairs = ss_.sets * ss_.channels, modes = ss_.modes;
    const double ns = double(2 * modes), lo = std::log(c.params.get_double("dt_min")),
                 hi = std::log(c.params.get_double("dt_max"));
    const bool inv = c.params.get_string("init") == "inv";
    const Rng rng(c.seed, c.rng_key, "s4d/params");
    const Rng dt_rng = rng.derive("dt"), c_rng = rng.derive("C"), d_rng = rng.derive("D");
    log_z_.resize(static_cast<size_t>(pairs * modes));
    ct_.resize(log_z_.size());
    d_.resize(static_cast<size_t>(pairs));
    for (int64_t p = 0; p < pairs; ++p) {
      const double dt = std::exp(lo + (hi - lo) * dt_rng.uniform(static_cast<uint64_t>(p)));
      d_[p] = static_cast<float>(d_rng.normal(static_cast<uint64_t>(p)));
      for (int64_t m = 0; m < modes; ++m) {
        const double im = inv ? (ns / std::numbers::pi) * (ns / double(2 * m + 1) - 1) : std::numbers::pi * double(m);
        const cd a(-0.5, im), dta = dt * a;
        const uint64_t i = static_cast<uint64_t>(p * modes + m);
        const cd cn = cd(c_rng.normal(2 * i), c_rng.normal(2 * i + 1)) / std::sqrt(2.0);
        log_z_[i] = dta;
        ct_[i] = cn * (std::exp(dta) - 1.0) / a;  // B = 1, ZOH
      }
    }
  }

  void prepare(Context& ctx) override {
    const int64_t pairs = ss_.sets * ss_.channels, bytes = pairs * ss_.modes * int64_t(sizeof(cd));
    log_z_dev_ = ctx.ws().get<cd>("s4d.log_z", pairs * ss_.modes);
    ct_dev_ = ctx.ws().get<cd>("s4d.ct", pairs * ss_.modes);
    d_dev_ = ctx.ws().get<float>("s4d.d", pairs);
    copy_bytes(log_z_dev_, ctx.device, log_z_.data(), Device::cpu, static_cast<size_t>(bytes));
    const double l = double(conv_length(config_.shape));  // the irfft's 1/L folded into the kernel
    std::vector<cd> ct_fast(ct_);
    for (auto& z : ct_fast) z /= l;
    std::vector<float> d_fast(d_);
    for (auto& x : d_fast) x = static_cast<float>(double(x) / l);
    copy_bytes(ct_dev_, ctx.device, ct_fast.data(), Device::cpu, static_cast<size_t>(bytes));
    copy_bytes(d_dev_, ctx.device, d_fast.data(), Device::cpu, d_fast.size() * sizeof(float));
    ops::prepare_fft<float>(ctx, conv_shape(config_.shape, ss_.sets));
    ops::prepare_fft<float>(ctx, conv_shape(config_.shape, ss_.batch));
    if (config_.params.get_bool("cache_kernel")) kernel_spectrum(ctx);
  }

  void forward(Context& ctx, const Tensor&, const Tensor&, const Tensor& v, Tensor& out) override {
    if (!config_.params.get_bool("cache_kernel")) kernel_spectrum(ctx);
    ops::fft_convolve_rows<float>(ctx, conv_shape(config_.shape, ss_.batch), ss_.sets, khat_, v.ptr<float>(),
                                  out.ptr<float>());
  }

  void forward_own_exact(Context& ctx, const Tensor&, const Tensor&, const Tensor& v, Tensor& out) override {
    ops::ssm_recurrence<float>(ctx, ss_, log_z_.data(), ct_.data(), d_.data(), v.ptr<float>(), out.ptr<float>());
  }

 private:
  // khat = rfft((K + D delta) / L, L), channel-major: the skip D u is the kernel's lag-0 tap, and the
  // irfft's 1/L is folded into ct and D (prepare).
  void kernel_spectrum(Context& ctx) {
    const ops::FftShape fk = conv_shape(config_.shape, ss_.sets);
    float* kernel = ctx.ws().get<float>("s4d.kernel", ss_.sets * ss_.n * ss_.channels);
    khat_ = ctx.ws().get<cf>("s4d.khat", ss_.sets * ss_.channels * fk.pitch());
    ops::ssm_kernel<float>(ctx, ss_, log_z_dev_, ct_dev_, kernel, d_dev_);
    ops::rfft_rows<float>(ctx, fk, kernel, khat_);
  }

  MethodConfig config_;
  ops::SsmShape ss_;
  std::vector<cd> log_z_, ct_;
  std::vector<float> d_;
  cd *log_z_dev_ = nullptr, *ct_dev_ = nullptr;
  float* d_dev_ = nullptr;
  cf* khat_ = nullptr;
};

double s4d_workspace(const CaseShape& s, const ParamSet& p, int threads) {
  const auto ss = ssm_shape(s, p);
  const ops::FftShape fu = conv_shape(s, ss.batch);
  const double params = double(ss.sets * ss.channels) * (2.0 * double(ss.modes) * sizeof(cd) + sizeof(float));
  const double kernel = double(ss.sets) * double(ss.n) * double(ss.channels) * sizeof(float);
  const double spectrum = double(ss.sets * ss.channels * fu.pitch()) * sizeof(cf);
  if (s.device != Device::cuda) return params + kernel + spectrum + double(ops::fft_scratch_bytes(fu, sizeof(float), threads));
  // GPU: fft_convolve_rows' spectrum and cuFFT's work area, which the kernel's rfft_rows (sets rows)
  // shares ("fft.cufft_work" holds the larger plan's).
  const double work_u = double(ops::fft_work_area_bytes_cuda(fu, sizeof(float)));
  const double work_k = double(ops::fft_work_area_bytes_cuda(conv_shape(s, ss.sets), sizeof(float)));
  return params + kernel + spectrum + double(ops::fft_scratch_bytes_cuda(fu, sizeof(float))) +
         (work_k > work_u ? work_k - work_u : 0.0);
}

const MethodRegistration kRegistration{MethodInfo{
    .name = "s4d",
    .family = "mixer",
    .summary = "S4D diagonal state-space convolution (Vandermonde kernel, FFT of length 2N; causal; a different operator)",
    .paper = "Gu et al., On the Parameterization and Initialization of Diagonal State Space Models, NeurIPS 2022",
    .params = {{.name = "state", .type = ParamType::integer, .default_value = int64_t{64}, .min = 2, .max = 1 << 16,
                .doc = "state size N_s (rank; even: N_s/2 complex modes)"},
               {.name = "init", .type = ParamType::string, .default_value = std::string("lin"),
                .choices = {"lin", "inv"}, .doc = "S4D-Lin or S4D-Inv eigenvalues"},
               {.name = "dt_min", .type = ParamType::number, .default_value = 1e-3, .min = 1e-8, .max = 10,
                .doc = "smallest step (log-uniform)"},
               {.name = "dt_max", .type = ParamType::number, .default_value = 1e-1, .min = 1e-8, .max = 10,
                .doc = "largest step (log-uniform)"},
               {.name = "cache_kernel", .type = ParamType::boolean, .default_value = false,
                .doc = "compute the kernel spectrum once in prepare (false: every forward)"}},
    .budget_doc = "rank = state size N_s (even)",
    .uses_rank = true,
    .supports_causal = true,
    .randomized = true,
    .subquadratic = true,
    .complexity = "O(d N_s N + d N log N) time, O(N d) memory",
    .reference = ReferenceKind::self,
    .apply_budget = [](const Budget& b, const CaseShape&, const std::vector<std::string>& ex, ParamSet& p,
                       Realized& r) {
      const int64_t ns = apply_rank(b, ex, p, "state");
      if (ns % 2 != 0) throw UsageError("state: S4D needs an even state size (N_s/2 conjugate pairs)");
      if (p.get_double("dt_min") > p.get_double("dt_max")) throw UsageError("dt_min: must be <= dt_max");
      r.rank = ns;
    },
    .flops = [](const CaseShape& s, const ParamSet& p) {
      const double n = double(s.seq_len), d = double(s.head_dim), l = double(conv_length(s));
      const double kernel = p.get_bool("cache_kernel") ? 0.0 : double(s.heads) * d * n * 4.0 * double(p.get_int("state"));
      return kernel + double(s.heads_total()) * d * (2 * 2.5 * l * std::log2(l) + 6 * l + 2 * n);
    },
    .workspace_bytes = s4d_workspace,
    .create = [](const MethodConfig& c) -> std::unique_ptr<Method> { return std::make_unique<S4d>(c); },
}};

}  // namespace
}  // namespace attn
