// The transposes between time-major [rows, channels] data and the channel-major rows the FFTs run
// on, for ops/cpu/fft.cpp: tiles of kTile rows x kBlock columns so both sides stream; fp32 with
// whole groups of 8 columns goes through 8 x 8 AVX2 register transposes (twice as fast as the
// tiles), and the way back can add a per-column bias and leave through streaming stores.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>
#define ATTN_FFT_AVX2 1
#else
#define ATTN_FFT_AVX2 0
#endif

namespace attn::ops::cpu::fft_detail {

constexpr int64_t kBlock = 16;  // columns per block: one 64-byte line of fp32 per row
constexpr int64_t kTile = 16;   // rows per transpose tile

#if ATTN_FFT_AVX2
// r[i] <- column i of the 8 x 8 fp32 tile whose rows were r[0..7] (unpack, shuffle, lane permute).
inline void transpose8(__m256* r) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
    t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
  }
  for (int i = 0; i < 8; ++i) r[i] = t[i];
}

inline void load8(const float* s, int64_t ld, __m256* r) {
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * ld);
}
#endif

// dst[j * dld + t] = src[t * sld + j] for t < rows, j < count: kTile x kBlock tiles, so both sides
// stream (fp32 with whole groups of 8 columns: 8 x 8 AVX2 register transposes, twice as fast).
template <class T>
void transpose(const T* src, int64_t sld, int64_t rows, int64_t count, T* dst, int64_t dld) {
  int64_t t0 = 0;
#if ATTN_FFT_AVX2
  if constexpr (std::is_same_v<T, float>) {
    if (count % 8 == 0) {
      __m256 r[8];
      for (; t0 + 8 <= rows; t0 += 8)
        for (int64_t j = 0; j < count; j += 8) {
          load8(src + t0 * sld + j, sld, r);
          transpose8(r);
          for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + (j + i) * dld + t0, r[i]);
        }
    }
  }
#endif
  T tile[kTile][kBlock];
  for (; t0 + kTile <= rows; t0 += kTile) {
    for (int64_t t = 0; t < kTile; ++t)
      for (int64_t j = 0; j < count; ++j) tile[t][j] = src[(t0 + t) * sld + j];
    for (int64_t j = 0; j < count; ++j)
      for (int64_t t = 0; t < kTile; ++t) dst[j * dld + t0 + t] = tile[t][j];
  }
  for (; t0 < rows; ++t0)
    for (int64_t j = 0; j < count; ++j) dst[j * dld + t0] = src[t0 * sld + j];
}

// Columns c0.. of time-major rows into channel-major rows of pitch ld, zero-padded from rows to n.
template <class T>
void gather_columns(const T* src, int64_t channels, int64_t rows, int64_t n, int64_t count, T* dst, int64_t ld) {
  transpose(src, channels, rows, count, dst, ld);
  for (int64_t j = 0; j < count; ++j) std::fill(dst + j * ld + rows, dst + j * ld + n, T(0));
}

// dst[t * channels + j] = src[j * ld + t] (+ bias[j] when given) for t < rows, j < count: the
// inverse of gather_columns. `stream`: full 64-byte rows go out as non-temporal stores.
template <class T>
void scatter_columns(const T* src, int64_t ld, int64_t rows, int64_t count, const T* bias, T* dst, int64_t channels,
                     bool stream) {
  int64_t t0 = 0;
#if ATTN_FFT_AVX2
  if constexpr (std::is_same_v<T, float>) {
    if (count % 8 == 0) {
      stream = stream && count % 16 == 0 && channels % 16 == 0 && reinterpret_cast<uintptr_t>(dst) % 64 == 0;
      __m256 add[kBlock / 8];
      for (int64_t j = 0; j < count; j += 8) add[j / 8] = bias ? _mm256_loadu_ps(bias + j) : _mm256_setzero_ps();
      __m256 lo[8], hi[8];
      for (; t0 + 8 <= rows; t0 += 8) {
        if (count % 16 == 0) {  // two tiles side by side: each output row gets a whole 64-byte line
          for (int64_t j = 0; j < count; j += 16) {
            load8(src + j * ld + t0, ld, lo);
            load8(src + (j + 8) * ld + t0, ld, hi);
            transpose8(lo);
            transpose8(hi);
            for (int i = 0; i < 8; ++i) {
              float* d = dst + (t0 + i) * channels + j;
              const __m256 a = _mm256_add_ps(lo[i], add[j / 8]), b = _mm256_add_ps(hi[i], add[j / 8 + 1]);
              if (stream) {
                _mm256_stream_ps(d, a);
                _mm256_stream_ps(d + 8, b);
              } else {
                _mm256_storeu_ps(d, a);
                _mm256_storeu_ps(d + 8, b);
              }
            }
          }
        } else {
          for (int64_t j = 0; j < count; j += 8) {
            load8(src + j * ld + t0, ld, lo);
            transpose8(lo);
            for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + (t0 + i) * channels + j, _mm256_add_ps(lo[i], add[j / 8]));
          }
        }
      }
      if (stream) _mm_sfence();
    }
  }
#endif
  T tile[kBlock][kTile];
  for (; t0 + kTile <= rows; t0 += kTile) {
    for (int64_t j = 0; j < count; ++j)
      for (int64_t t = 0; t < kTile; ++t) tile[j][t] = src[j * ld + t0 + t];
    for (int64_t t = 0; t < kTile; ++t)
      for (int64_t j = 0; j < count; ++j) dst[(t0 + t) * channels + j] = tile[j][t] + (bias ? bias[j] : T(0));
  }
  for (; t0 < rows; ++t0)
    for (int64_t j = 0; j < count; ++j) dst[t0 * channels + j] = src[j * ld + t0] + (bias ? bias[j] : T(0));
}

}  // namespace attn::ops::cpu::fft_detail
