// The real FFT ops against explicit fp64 DFT sums (ops/dft.hpp's references and plain loops), on
// lengths that are odd, even, prime and padded, column counts that exercise full blocks, the AVX2
// 8-column path and ragged tails, one and two threads.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "ops/dft.hpp"
#include "ops/fft.hpp"
#include "ops_testing.hpp"

namespace attn::testing {
namespace {

using cd = std::complex<double>;

struct Case {
  int64_t batch, n, channels, rows;
  int threads;
};

const std::vector<Case> kCases = {
    {1, 64, 16, 64, 2},  {2, 97, 21, 97, 2},   {3, 256, 40, 256, 1}, {1, 1025, 8, 1025, 2},
    {2, 200, 5, 120, 2}, {1, 2048, 32, 2048, 2}, {2, 18, 3, 9, 1},     {1, 1, 2, 1, 1},
};

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 2e-6 : 1e-12;
}

// Relative Frobenius distance of complex vectors.
template <class A>
double rel(const std::vector<A>& a, const std::vector<cd>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += std::norm(cd(a[i]) - ref[i]);
    den += std::norm(ref[i]);
  }
  return std::sqrt(num / den);
}

std::vector<int64_t> all_bins(int64_t n) {
  std::vector<int64_t> b(static_cast<size_t>(n / 2 + 1));
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<int64_t>(i);
  return b;
}

template <class T>
void check_forward(const Case& c) {
  CpuCase cc(c.threads);
  const ops::FftShape s{.batch = c.batch, .n = c.n, .channels = c.channels, .rows = c.rows};
  const auto x = normal_vector<T>(c.batch * c.rows * c.channels, 1, "x");
  // The reference zero-pads explicitly.
  std::vector<T> padded(static_cast<size_t>(c.batch * c.n * c.channels), T(0));
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t i = 0; i < c.rows * c.channels; ++i) padded[(b * c.n) * c.channels + i] = x[b * c.rows * c.channels + i];
  const auto bins = all_bins(c.n);
  const int64_t nb = static_cast<int64_t>(bins.size());
  std::vector<cd> ref(static_cast<size_t>(c.batch * nb * c.channels));
  ops::dft_bins_reference<T>(cc.ctx, {.batch = c.batch, .n = c.n, .channels = c.channels}, padded.data(), bins.data(),
                             nb, ref.data());

  std::vector<std::complex<T>> full(static_cast<size_t>(c.batch * c.channels * s.pitch()));
  ops::rfft_rows<T>(cc.ctx, s, x.data(), full.data());
  std::vector<std::complex<T>> got(ref.size());  // channel-major -> mode-major
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t f = 0; f < nb; ++f)
      for (int64_t j = 0; j < c.channels; ++j)
        got[(b * nb + f) * c.channels + j] = full[(b * c.channels + j) * s.pitch() + f];
  EXPECT_LT(rel(got, ref), tolerance<T>()) << "rfft_rows n=" << c.n << " channels=" << c.channels;

  // Every bin (the FFT path), a scrambled subset with a repeat (rfft_bins allows repeats), and two
  // bins (the direct sums).
  std::vector<int64_t> scrambled;
  for (int64_t f = nb - 1; f >= 0; f -= 3) scrambled.push_back(f);
  scrambled.push_back(0);
  for (const auto& pick : {bins, scrambled, std::vector<int64_t>{nb - 1, 0}}) {
    const int64_t count = static_cast<int64_t>(pick.size());
    std::vector<std::complex<T>> sel(static_cast<size_t>(c.batch * count * c.channels));
    ops::rfft_bins<T>(cc.ctx, s, x.data(), pick.data(), count, sel.data());
    std::vector<cd> sel_ref(sel.size());
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t m = 0; m < count; ++m)
        for (int64_t j = 0; j < c.channels; ++j)
          sel_ref[(b * count + m) * c.channels + j] = ref[(b * nb + pick[m]) * c.channels + j];
    EXPECT_LT(rel(sel, sel_ref), tolerance<T>()) << "rfft_bins n=" << c.n << " channels=" << c.channels
                                                 << " bins=" << count;
  }
}

template <class T>
void check_inverse(const Case& c, bool few) {
  CpuCase cc(c.threads);
  const ops::FftShape s{.batch = c.batch, .n = c.n, .channels = c.channels, .rows = c.rows};
  const int64_t nb = s.bins();
  // Every other bin (the FFT path) or the last and the first (the direct sums), DC and (even n)
  // Nyquist included, with nonzero imaginary parts everywhere (those of DC and Nyquist must be ignored).
  std::vector<int64_t> pick;
  for (int64_t f = nb - 1; f >= 0; f -= few ? std::max<int64_t>(nb - 1, 1) : 2) pick.push_back(f);
  if (pick.back() != 0) pick.push_back(0);
  const int64_t count = static_cast<int64_t>(pick.size());
  const auto re = normal_vector<double>(c.batch * count * c.channels, 2, "re"),
             im = normal_vector<double>(c.batch * count * c.channels, 2, "im");
  std::vector<cd> yd(re.size());
  std::vector<std::complex<T>> y(re.size());
  for (size_t i = 0; i < re.size(); ++i) {
    y[i] = std::complex<T>(static_cast<T>(re[i]), static_cast<T>(im[i]));
    yd[i] = cd(y[i]);
  }
  std::vector<T> ref(static_cast<size_t>(c.batch * c.n * c.channels));
  ops::idft_real_reference<T>(cc.ctx, {.batch = c.batch, .n = c.n, .channels = c.channels}, pick.data(), count,
                              yd.data(), ref.data());
  auto expect_rows = [&](const std::vector<T>& got, const char* what) {
    double num = 0, den = 0;
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t i = 0; i < c.rows * c.channels; ++i) {
        const double r = ref[b * c.n * c.channels + i], g = got[b * c.rows * c.channels + i];
        num += (g - r) * (g - r);
        den += r * r;
      }
    EXPECT_LT(std::sqrt(num / den), tolerance<T>()) << what << " n=" << c.n << " channels=" << c.channels;
  };
  std::vector<T> out(static_cast<size_t>(c.batch * c.rows * c.channels), T(-7));
  const std::vector<std::complex<T>> y_before = y;
  ops::irfft_bins<T>(cc.ctx, s, pick.data(), count, y.data(), out.data());
  expect_rows(out, "irfft_bins");
  EXPECT_EQ(y, y_before) << "irfft_bins must leave its input intact";

  // irfft_rows of the same spectrum laid out channel-major (zero elsewhere).
  std::vector<std::complex<T>> full(static_cast<size_t>(c.batch * c.channels * s.pitch()), std::complex<T>(0));
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t m = 0; m < count; ++m)
      for (int64_t j = 0; j < c.channels; ++j)
        full[(b * c.channels + j) * s.pitch() + pick[m]] = y[(b * count + m) * c.channels + j];
  std::fill(out.begin(), out.end(), T(-7));
  ops::irfft_rows<T>(cc.ctx, s, full.data(), out.data());
  expect_rows(out, "irfft_rows");
  // With a bias every row moves by it.
  const auto bias = normal_vector<T>(c.batch * c.channels, 6, "bias");
  ops::irfft_bins<T>(cc.ctx, s, pick.data(), count, y.data(), out.data(), bias.data());
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t i = 0; i < c.rows * c.channels; ++i) out[b * c.rows * c.channels + i] -= bias[b * c.channels + i % c.channels];
  expect_rows(out, "irfft_bins with bias");
}

TEST(OpsFft, ForwardTransformsEqualDftSums) {
  for (const auto& c : kCases) {
    check_forward<float>(c);
    check_forward<double>(c);
  }
}

TEST(OpsFft, InverseTransformsEqualDftSums) {
  for (const auto& c : kCases)
    for (bool few : {false, true}) {
      check_inverse<float>(c, few);
      check_inverse<double>(c, few);
    }
}

TEST(OpsFft, RoundTripIsNTimesTheInput) {
  CpuCase cc(2);
  const ops::FftShape s{.batch = 2, .n = 333, .channels = 24};
  const auto x = normal_vector<float>(s.batch * s.n * s.channels, 3, "x");
  std::vector<std::complex<float>> full(static_cast<size_t>(s.batch * s.channels * s.pitch()));
  std::vector<float> back(x.size());
  ops::rfft_rows<float>(cc.ctx, s, x.data(), full.data());
  ops::irfft_rows<float>(cc.ctx, s, full.data(), back.data());
  for (auto& v : back) v /= float(s.n);
  EXPECT_LT(rel_fro(back, x), 1e-6);
}

// fft_convolve_rows equals the direct linear convolution sum_{s <= t} k[t - s] x[s] when n >= 2 rows - 1
// (per channel, kernel set b % sets), and the circular one when n == rows.
TEST(OpsFft, ConvolutionEqualsTheDirectSum) {
  for (const bool circular : {false, true}) {
    for (const int threads : {1, 2}) {
      CpuCase cc(threads);
      const int64_t batch = 4, sets = 2, rows = 96, ch = 19;
      const int64_t n = circular ? rows : ops::fft_fast_length(2 * rows);
      const ops::FftShape ks{.batch = sets, .n = n, .channels = ch, .rows = rows};
      const ops::FftShape xs{.batch = batch, .n = n, .channels = ch, .rows = rows};
      const auto kernel = normal_vector<float>(sets * rows * ch, 4, "k"), x = normal_vector<float>(batch * rows * ch, 4, "x");
      std::vector<std::complex<float>> khat(static_cast<size_t>(sets * ch * ks.pitch()));
      ops::rfft_rows<float>(cc.ctx, ks, kernel.data(), khat.data());
      std::vector<float> y(x.size());
      ops::fft_convolve_rows<float>(cc.ctx, xs, sets, khat.data(), x.data(), y.data());
      std::vector<double> ref(x.size(), 0.0);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t t = 0; t < rows; ++t)
          for (int64_t j = 0; j < ch; ++j) {
            double acc = 0;
            for (int64_t s = 0; s < rows; ++s) {
              const int64_t lag = circular ? (t - s + rows) % rows : t - s;
              if (lag >= 0) acc += double(kernel[((b % sets) * rows + lag) * ch + j]) * x[(b * rows + s) * ch + j];
            }
            ref[(b * rows + t) * ch + j] = acc * double(n);  // unnormalized, like irfft * n
          }
      EXPECT_LT(rel_fro(y, ref), 2e-6) << "circular=" << circular << " threads=" << threads;
    }
  }
}

TEST(OpsFft, ScratchEstimateMatchesWhatTheOpsTake) {
  for (const int threads : {1, 2}) {
    for (const auto& c : kCases) {
      CpuCase cc(threads);
      const ops::FftShape s{.batch = c.batch, .n = c.n, .channels = c.channels, .rows = c.rows};
      const auto x = normal_vector<float>(c.batch * c.rows * c.channels, 5, "x");
      for (const int64_t count : {int64_t{1}, s.bins()}) {  // the direct sums and (n > 8) the FFT path
        CpuCase cc(threads);
        std::vector<int64_t> bins(static_cast<size_t>(count));
        for (int64_t m = 0; m < count; ++m) bins[m] = m;
        std::vector<std::complex<float>> out(static_cast<size_t>(c.batch * c.channels * count));
        std::vector<float> back(x.size());
        ops::rfft_bins<float>(cc.ctx, s, x.data(), bins.data(), count, out.data());
        ops::irfft_bins<float>(cc.ctx, s, bins.data(), count, out.data(), back.data());
        EXPECT_EQ(cc.ws.peak_bytes(), ops::fft_scratch_bytes(s, sizeof(float), threads, count))
            << "n=" << c.n << " bins=" << count;
      }
      std::vector<std::complex<float>> khat(static_cast<size_t>(c.channels * s.pitch()));
      std::vector<float> y(x.size());
      ops::fft_convolve_rows<float>(cc.ctx, s, 1, khat.data(), x.data(), y.data());
      EXPECT_EQ(cc.ws.peak_bytes(), ops::fft_scratch_bytes(s, sizeof(float), threads)) << "n=" << c.n;
    }
  }
}

// Outputs large enough to take the streaming-store path (8 MiB and more), through irfft_bins with
// enough bins for the FFT path (all zero but bin f) and a bias, and through irfft_rows: one bin f
// gives the closed form 2 Re(Y e^{2 pi i f t / n}) (+ bias).
TEST(OpsFft, LargeOutputsMatchTheClosedForm) {
  CpuCase cc(2);
  const int64_t n = 16384, ch = 128, f = 5, count = 64;
  const ops::FftShape s{.batch = 1, .n = n, .channels = ch};
  std::vector<int64_t> bins(count);
  std::vector<std::complex<float>> y(static_cast<size_t>(count * ch)), full(static_cast<size_t>(ch * s.pitch()));
  std::vector<float> bias(ch);
  Workspace aligned(Device::cpu);  // 64-byte aligned rows: the streaming stores need them
  float* out = aligned.get<float>("out", n * ch);
  for (int64_t m = 0; m < count; ++m) bins[m] = m;
  for (int64_t c = 0; c < ch; ++c) {
    y[f * ch + c] = {float(c % 7) - 3.0f, 0.5f * float(c % 5)};
    full[c * s.pitch() + f] = y[f * ch + c];
    bias[c] = 0.25f * float(c % 3);
  }
  auto worst = [&](bool with_bias) {
    double w = 0;
    for (int64_t t = 0; t < n; ++t)
      for (int64_t c = 0; c < ch; ++c) {
        const double phase = 2 * std::numbers::pi * double((f * t) % n) / double(n);
        const std::complex<float> v = y[f * ch + c];
        const double expect = 2 * (v.real() * std::cos(phase) - v.imag() * std::sin(phase)) + (with_bias ? bias[c] : 0.0);
        w = std::max(w, std::abs(out[t * ch + c] - expect));
      }
    return w;
  };
  ops::irfft_bins<float>(cc.ctx, s, bins.data(), count, y.data(), out, bias.data());
  EXPECT_LT(worst(true), 1e-5);
  ops::irfft_rows<float>(cc.ctx, s, full.data(), out);
  EXPECT_LT(worst(false), 1e-5);
}

TEST(OpsFftDeathTest, RejectsBadArguments) {
  CpuCase cc(1);
  const ops::FftShape s{.batch = 1, .n = 16, .channels = 2};
  std::vector<float> x(32);
  std::vector<std::complex<float>> y(8);
  const int64_t out_of_range[] = {9}, repeated[] = {1, 1};
  EXPECT_DEATH(ops::rfft_bins<float>(cc.ctx, s, x.data(), out_of_range, 1, y.data()), "out of range");
  EXPECT_DEATH(ops::irfft_bins<float>(cc.ctx, s, repeated, 2, y.data(), x.data()), "repeated bin");
  EXPECT_DEATH(ops::rfft_rows<float>(cc.ctx, {.batch = 1, .n = 16, .channels = 2, .rows = 17}, x.data(), y.data()),
               "rows must be");
  EXPECT_EQ(ops::fft_fast_length(97), 98);
  EXPECT_EQ(ops::fft_fast_length(2 * 1025), 2058);
  EXPECT_EQ(ops::fft_fast_length(11 * 13), 144);
}

}  // namespace
}  // namespace attn::testing
