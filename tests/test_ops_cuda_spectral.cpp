// CPU vs GPU for the spectral ops of FNO, FEDformer and S4D: the real FFTs (rfft_rows / irfft_rows,
// rfft_bins / irfft_bins with bins in any order, DC and Nyquist bins with imaginary parts to drop,
// few bins (direct sums on both devices) and many (the FFT paths), rows < n, bias, no bins), the fused
// convolution (several kernel sets, odd n), spectral_mix with weight sets, complex GEMMs with every
// transpose, the complex activations (tanh past the overflow threshold, softmax of |z|) and the S4D
// kernel (with and without the lag-0 tap, across the CPU's exp restarts). Same host inputs; normalized
// MSE below 1e-7 in fp32 and 1e-20 in fp64. Plus the GPU scratch estimates against the tracked
// workspace. Skips without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <string>
#include <vector>

#include "cuda_testing.hpp"
#include "ops/fft.hpp"
#include "ops/spectral.hpp"
#include "ops/ssm.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-7 : 1e-20;
}

// Interleaved real and imaginary parts, so the real-valued nmse applies.
template <class T>
std::vector<T> flat(const std::vector<std::complex<T>>& z) {
  std::vector<T> out;
  out.reserve(2 * z.size());
  for (const auto& v : z) {
    out.push_back(v.real());
    out.push_back(v.imag());
  }
  return out;
}

template <class T>
void expect_close(const std::vector<T>& gpu, const std::vector<T>& cpu, const std::string& what) {
  ASSERT_EQ(gpu.size(), cpu.size()) << what;
  EXPECT_LT(testing::nmse(gpu, cpu), tolerance<T>()) << what;
}
template <class T>
void expect_close(const std::vector<std::complex<T>>& gpu, const std::vector<std::complex<T>>& cpu,
                  const std::string& what) {
  expect_close(flat(gpu), flat(cpu), what);
}

template <class T>
std::vector<std::complex<T>> complex_vector(int64_t n, uint64_t seed, const std::string& purpose, double scale = 1.0) {
  const auto re = testing::normal_vector<T>(2 * n, seed, purpose, scale);
  std::vector<std::complex<T>> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[i] = std::complex<T>(re[2 * i], re[2 * i + 1]);
  return out;
}

// The valid bins of a channel-major spectrum (the pitch padding is never defined).
template <class T>
std::vector<std::complex<T>> valid_bins(const FftShape& s, const std::vector<std::complex<T>>& spec) {
  std::vector<std::complex<T>> out;
  for (int64_t col = 0; col < s.batch * s.channels; ++col)
    for (int64_t f = 0; f < s.bins(); ++f) out.push_back(spec[col * s.pitch() + f]);
  return out;
}

std::string describe(const FftShape& s) {
  return "batch=" + std::to_string(s.batch) + " n=" + std::to_string(s.n) + " channels=" + std::to_string(s.channels) +
         " rows=" + std::to_string(s.real_rows());
}

const std::vector<FftShape> kShapes = {
    {.batch = 2, .n = 64, .channels = 8},  {.batch = 3, .n = 97, .channels = 5},
    {.batch = 2, .n = 200, .channels = 33, .rows = 97}, {.batch = 1, .n = 2, .channels = 3},
    {.batch = 2, .n = 75, .channels = 40, .rows = 40},  {.batch = 1, .n = 4096, .channels = 64},
};

template <class T>
void rows_case(CudaSession& session, const FftShape& s) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const int64_t spec_n = s.batch * s.channels * s.pitch(), real_n = s.batch * s.real_rows() * s.channels;
  const auto x = testing::normal_vector<T>(real_n, 1, "x");
  std::vector<std::complex<T>> xhat(static_cast<size_t>(spec_n));
  DeviceVector<T> dx(x);
  DeviceVector<std::complex<T>> dxhat(xhat);
  rfft_rows<T>(cpu.ctx, s, x.data(), xhat.data());
  rfft_rows<T>(gpu.ctx, s, dx.ptr, dxhat.ptr);
  expect_close(valid_bins(s, dxhat.to_host()), valid_bins(s, xhat), "rfft_rows " + describe(s));

  // The inverse of a spectrum whose DC and Nyquist bins carry imaginary parts (both must drop them).
  auto yhat = complex_vector<T>(spec_n, 2, "yhat");
  DeviceVector<std::complex<T>> dyhat(yhat);
  std::vector<T> y(static_cast<size_t>(real_n));
  DeviceVector<T> dy(y);
  irfft_rows<T>(cpu.ctx, s, yhat.data(), y.data());
  irfft_rows<T>(gpu.ctx, s, dyhat.ptr, dy.ptr);
  expect_close(dy.to_host(), y, "irfft_rows " + describe(s));
}

TEST(OpsCudaSpectral, RowTransformsMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (const auto& s : kShapes) {
    rows_case<float>(session, s);
    rows_case<double>(session, s);
  }
}

// Distinct bins in scrambled order: the last (Nyquist for even n) and the DC bin first, so that even
// one or two bins carry the imaginary parts irfft drops, then odd bins descending, even ascending.
std::vector<int64_t> scrambled_bins(const FftShape& s, int64_t count) {
  std::vector<int64_t> bins{s.bins() - 1};
  if (s.bins() > 1) bins.push_back(0);
  for (int64_t f = s.bins() - 2; f >= 1; --f)
    if (f % 2 == 1) bins.push_back(f);
  for (int64_t f = 1; f <= s.bins() - 2; ++f)
    if (f % 2 == 0) bins.push_back(f);
  bins.resize(static_cast<size_t>(count));
  return bins;
}

template <class T>
void bins_case(CudaSession& session, const FftShape& s, int64_t count, bool with_bias) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const std::string what = describe(s) + " count=" + std::to_string(count) + " bias=" + std::to_string(with_bias);
  const int64_t real_n = s.batch * s.real_rows() * s.channels, sel_n = s.batch * count * s.channels;
  const auto bins = scrambled_bins(s, count);
  ASSERT_EQ(static_cast<int64_t>(bins.size()), count);
  DeviceVector<int64_t> dbins(bins);

  const auto x = testing::normal_vector<T>(real_n, 3, "x");
  std::vector<std::complex<T>> sel(static_cast<size_t>(sel_n));
  DeviceVector<T> dx(x);
  DeviceVector<std::complex<T>> dsel(sel);
  if (count > 0) {
    rfft_bins<T>(cpu.ctx, s, x.data(), bins.data(), count, sel.data());
    rfft_bins<T>(gpu.ctx, s, dx.ptr, dbins.ptr, count, dsel.ptr);
    expect_close(dsel.to_host(), sel, "rfft_bins " + what);
  }

  const auto yhat = complex_vector<T>(sel_n, 4, "yhat");
  const auto bias = testing::normal_vector<T>(s.batch * s.channels, 5, "bias");
  DeviceVector<std::complex<T>> dyhat(yhat);
  DeviceVector<T> dbias(bias);
  std::vector<T> y(static_cast<size_t>(real_n));
  DeviceVector<T> dy(y);
  irfft_bins<T>(cpu.ctx, s, bins.data(), count, yhat.data(), y.data(), with_bias ? bias.data() : nullptr);
  irfft_bins<T>(gpu.ctx, s, dbins.ptr, count, dyhat.ptr, dy.ptr, with_bias ? dbias.ptr : nullptr);
  expect_close(dy.to_host(), y, "irfft_bins " + what);
  expect_close(dyhat.to_host(), yhat, "irfft_bins leaves yhat intact " + what);
}

TEST(OpsCudaSpectral, BinTransformsMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (const auto& s : kShapes) {
    for (int64_t count : {int64_t{1}, int64_t{3}, s.bins()}) {  // few: CPU direct sums; all: CPU FFT path
      if (count > s.bins()) continue;
      bins_case<float>(session, s, count, true);
      bins_case<double>(session, s, count, count % 2 == 1);
    }
  }
  bins_case<float>(session, FftShape{.batch = 16, .n = 1024, .channels = 64}, 64, true);  // FEDformer-like
  bins_case<float>(session, FftShape{.batch = 8, .n = 4096, .channels = 64}, 16, true);   // FNO-like: direct
  bins_case<float>(session, FftShape{.batch = 2, .n = 97, .channels = 5}, 0, true);      // bias only
}

template <class T>
void convolve_case(CudaSession& session, int64_t batch, int64_t sets, int64_t rows, int64_t n, int64_t channels) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const FftShape s{.batch = batch, .n = n, .channels = channels, .rows = rows};
  const FftShape sk{.batch = sets, .n = n, .channels = channels, .rows = rows};
  const std::string what = describe(s) + " sets=" + std::to_string(sets);
  // Kernel spectra from the CPU's rfft_rows, the same bytes on both devices.
  const auto kernel = testing::normal_vector<T>(sets * rows * channels, 6, "kernel", 0.3);
  std::vector<std::complex<T>> khat(static_cast<size_t>(sets * channels * s.pitch()));
  rfft_rows<T>(cpu.ctx, sk, kernel.data(), khat.data());
  const auto x = testing::normal_vector<T>(batch * rows * channels, 7, "x");
  std::vector<T> y(x.size());
  DeviceVector<std::complex<T>> dkhat(khat);
  DeviceVector<T> dx(x), dy(y);
  fft_convolve_rows<T>(cpu.ctx, s, sets, khat.data(), x.data(), y.data());
  fft_convolve_rows<T>(gpu.ctx, s, sets, dkhat.ptr, dx.ptr, dy.ptr);
  expect_close(dy.to_host(), y, "fft_convolve_rows " + what);
}

TEST(OpsCudaSpectral, ConvolutionMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  convolve_case<float>(session, 4, 2, 97, fft_fast_length(2 * 97), 5);
  convolve_case<float>(session, 3, 1, 40, 75, 33);  // odd n
  convolve_case<float>(session, 6, 3, 1000, fft_fast_length(2 * 1000), 64);
  convolve_case<double>(session, 4, 2, 97, fft_fast_length(2 * 97), 5);
  convolve_case<double>(session, 2, 2, 64, 64, 8);  // circular: n = rows
}

template <class T>
void mix_case(CudaSession& session, SpectralMixShape s) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const auto x = complex_vector<T>(s.batch * s.modes * s.channels_in, 8, "x");
  const auto w = complex_vector<T>(s.weight_sets * s.modes * s.channels_in * s.channels_out, 9, "w", 0.2);
  std::vector<std::complex<T>> y(static_cast<size_t>(s.batch * s.modes * s.channels_out));
  DeviceVector<std::complex<T>> dx(x), dw(w), dy(y);
  spectral_mix<T>(cpu.ctx, s, x.data(), w.data(), y.data());
  spectral_mix<T>(gpu.ctx, s, dx.ptr, dw.ptr, dy.ptr);
  expect_close(dy.to_host(), y,
               "spectral_mix batch=" + std::to_string(s.batch) + " sets=" + std::to_string(s.weight_sets) +
                   " modes=" + std::to_string(s.modes));
}

TEST(OpsCudaSpectral, SpectralMixMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t sets : {1, 3}) {
    mix_case<float>(session, {.batch = 6, .modes = 5, .channels_in = 7, .channels_out = 4, .weight_sets = sets});
    mix_case<double>(session, {.batch = 6, .modes = 5, .channels_in = 7, .channels_out = 4, .weight_sets = sets});
  }
  mix_case<float>(session, {.batch = 16, .modes = 64, .channels_in = 64, .channels_out = 64, .weight_sets = 8});
}

template <class T>
void gemm_case(CudaSession& session, const GemmShape& s) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const int64_t rows_a = s.trans_a == Trans::no ? s.m : s.k, rows_b = s.trans_b == Trans::no ? s.k : s.n;
  const auto a = complex_vector<T>(s.batch * rows_a * s.lda, 10, "a");
  const auto b = complex_vector<T>(s.batch * rows_b * s.ldb, 11, "b");
  auto c = complex_vector<T>(s.batch * s.m * s.ldc, 12, "c");
  DeviceVector<std::complex<T>> da(a), db(b), dc(c);
  const std::complex<T> alpha(T(0.7), T(-0.4)), beta(T(0.3), T(0.5));
  complex_gemm<T>(cpu.ctx, s, alpha, a.data(), b.data(), beta, c.data());
  complex_gemm<T>(gpu.ctx, s, alpha, da.ptr, db.ptr, beta, dc.ptr);
  expect_close(dc.to_host(), c,
               "complex_gemm ta=" + std::to_string(int(s.trans_a)) + " tb=" + std::to_string(int(s.trans_b)));
}

TEST(OpsCudaSpectral, ComplexGemmMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (Trans ta : {Trans::no, Trans::yes})
    for (Trans tb : {Trans::no, Trans::yes}) {
      gemm_case<float>(session, gemm_shape(ta, tb, 5, 7, 9, 3));
      gemm_case<double>(session, gemm_shape(ta, tb, 5, 7, 9, 3));
    }
}

template <class T>
void activation_case(CudaSession& session, ComplexActivation act, int64_t cols, double scale) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const int64_t batch = 3, rows = 5;
  auto x = complex_vector<T>(batch * rows * cols, 13, "x", scale);
  DeviceVector<std::complex<T>> dx(x);
  complex_activation<T>(cpu.ctx, act, batch, rows, cols, x.data());
  complex_activation<T>(gpu.ctx, act, batch, rows, cols, dx.ptr);
  expect_close(dx.to_host(), x, "complex_activation act=" + std::to_string(int(act)) + " cols=" +
                                    std::to_string(cols) + " scale=" + std::to_string(scale));
}

TEST(OpsCudaSpectral, ComplexActivationsMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t cols : {7, 64, 100}) {
    for (double scale : {0.5, 3.0}) {
      activation_case<float>(session, ComplexActivation::tanh, cols, scale);
      activation_case<double>(session, ComplexActivation::tanh, cols, scale);
      activation_case<float>(session, ComplexActivation::softmax_abs, cols, scale);
      activation_case<double>(session, ComplexActivation::softmax_abs, cols, scale);
    }
  }
  // Real parts far past the sinh^2 overflow threshold (44 in fp32, 354 in fp64).
  activation_case<float>(session, ComplexActivation::tanh, 16, 60.0);
  activation_case<double>(session, ComplexActivation::tanh, 16, 500.0);
}

template <class T>
void ssm_case(CudaSession& session, SsmShape s, bool with_lag0) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const int64_t params = s.sets * s.channels * s.modes;
  // S4D-Lin-like eigenvalues dt (-1/2 + i pi m) and unit-scale ct.
  const auto dt = testing::uniform_vector<double>(s.sets * s.channels, 14, "dt", 1e-3, 1e-1);
  std::vector<std::complex<double>> log_z(static_cast<size_t>(params));
  for (int64_t p = 0; p < s.sets * s.channels; ++p)
    for (int64_t m = 0; m < s.modes; ++m)
      log_z[p * s.modes + m] = dt[p] * std::complex<double>(-0.5, std::numbers::pi * double(m));
  const auto ct = complex_vector<double>(params, 15, "ct");
  const auto lag0 = testing::normal_vector<T>(s.sets * s.channels, 16, "lag0");
  std::vector<T> kernel(static_cast<size_t>(s.sets * s.n * s.channels));
  DeviceVector<std::complex<double>> dlog_z(log_z), dct(ct);
  DeviceVector<T> dlag0(lag0), dkernel(kernel);
  ssm_kernel<T>(cpu.ctx, s, log_z.data(), ct.data(), kernel.data(), with_lag0 ? lag0.data() : nullptr);
  ssm_kernel<T>(gpu.ctx, s, dlog_z.ptr, dct.ptr, dkernel.ptr, with_lag0 ? dlag0.ptr : nullptr);
  expect_close(dkernel.to_host(), kernel,
               "ssm_kernel sets=" + std::to_string(s.sets) + " n=" + std::to_string(s.n) + " modes=" +
                   std::to_string(s.modes) + " lag0=" + std::to_string(with_lag0));
}

TEST(OpsCudaSpectral, SsmKernelMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  ssm_case<float>(session, {.batch = 2, .sets = 2, .n = 2500, .channels = 5, .modes = 7}, true);
  ssm_case<float>(session, {.batch = 1, .sets = 1, .n = 97, .channels = 64, .modes = 32}, false);
  ssm_case<double>(session, {.batch = 2, .sets = 2, .n = 2500, .channels = 5, .modes = 7}, true);
  ssm_case<float>(session, {.batch = 1, .sets = 1, .n = 33, .channels = 3, .modes = 0}, true);  // lag 0 alone
}

// The GPU scratch estimates are what the ops take from the workspace (the cuBLAS workspace aside):
// the row transforms (work area alone), the convolution, the direct sums and the FFT bin path.
TEST(OpsCudaSpectral, ScratchEstimatesMatchWorkspace) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  const FftShape s{.batch = 4, .n = 1000, .channels = 24, .rows = 600};
  for (int64_t bins : {int64_t{-2}, int64_t{-1}, int64_t{3}, s.bins()}) {
    testing::GpuCase gpu(session);
    const std::size_t before = gpu.ws.current_bytes();
    DeviceVector<float> x(static_cast<std::size_t>(s.batch * s.real_rows() * s.channels)), y(x.n);
    DeviceVector<float> bias(static_cast<std::size_t>(s.batch * s.channels));
    DeviceVector<std::complex<float>> xhat(static_cast<std::size_t>(s.batch * s.channels * s.pitch()));
    std::size_t expected = 0;
    if (bins == -2) {  // both plans: the work area is the larger of the two
      rfft_rows<float>(gpu.ctx, s, x.ptr, xhat.ptr);
      irfft_rows<float>(gpu.ctx, s, xhat.ptr, y.ptr);
      expected = fft_work_area_bytes_cuda(s, sizeof(float));
    } else if (bins == -1) {
      fft_convolve_rows<float>(gpu.ctx, s, 2, xhat.ptr, x.ptr, y.ptr);
      expected = fft_scratch_bytes_cuda(s, sizeof(float));
    } else {
      std::vector<int64_t> list(static_cast<std::size_t>(bins));
      for (int64_t m = 0; m < bins; ++m) list[m] = m;
      DeviceVector<int64_t> dlist(list);
      DeviceVector<std::complex<float>> sel(static_cast<std::size_t>(s.batch * bins * s.channels));
      rfft_bins<float>(gpu.ctx, s, x.ptr, dlist.ptr, bins, sel.ptr);
      irfft_bins<float>(gpu.ctx, s, dlist.ptr, bins, sel.ptr, y.ptr, bias.ptr);
      expected = fft_scratch_bytes_cuda(s, sizeof(float), bins);
    }
    gpu.sync();
    EXPECT_EQ(gpu.ws.current_bytes() - before, expected) << "bins=" << bins;
  }
}

}  // namespace
}  // namespace attn::ops
