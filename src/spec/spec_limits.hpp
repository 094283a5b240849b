// The largest values a spec may ask for. Each is far beyond any run on today's hardware and low
// enough that a typo (seq_len 1e12, repetitions 1e9) is a one-line UsageError at parse time rather
// than an allocation, an overflow in a size computation or a sweep that never ends. The bounds are
// chosen so products stay exact in int64: B*H <= 2^16 and B*H*N*d <= 2^36 keep B*H*N^2 (the
// attention matrix of the whole input) below 2^60.
#pragma once

#include <cstdint>

namespace attn::spec_limits {

inline constexpr int64_t kMaxSeqLen = int64_t{1} << 24;        // 16.7M tokens
inline constexpr int64_t kMaxHeadDim = 4096;
inline constexpr int64_t kMaxBatch = int64_t{1} << 16;
inline constexpr int64_t kMaxHeads = int64_t{1} << 16;
inline constexpr int64_t kMaxBatchHeads = int64_t{1} << 16;    // batch x heads
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 36;  // B*H*N*d of one of Q, K, V: 256 GiB in fp32
// Seeds above 2^53 do not survive JSON readers that hold numbers as doubles (jq, JavaScript, pandas),
// so a report's seed could not be read back exactly.
inline constexpr int64_t kMaxSeed = (int64_t{1} << 53) - 1;
inline constexpr int64_t kMaxClusters = int64_t{1} << 24;
inline constexpr int64_t kMaxSubspaceDim = kMaxHeadDim;
inline constexpr int64_t kMaxSmoothing = kMaxSeqLen;
inline constexpr int64_t kMaxSinks = kMaxSeqLen;
inline constexpr double kMaxTemperature = 1e6;
inline constexpr int64_t kMaxRank = kMaxSeqLen;
inline constexpr int64_t kMaxRepetitions = 10'000;
inline constexpr int64_t kMaxWarmup = 10'000;
inline constexpr double kMaxTimeoutS = 7 * 24 * 3600.0;        // a week
inline constexpr double kMaxMemoryBudgetGiB = 1 << 20;          // 1 PiB
// The attention-matrix probe holds N x N per head and the oracle is O(N^3): beyond 16K it would take
// hours per case.
inline constexpr int64_t kMaxAttnMetricsN = int64_t{1} << 14;
// Expansion: the product of the input axes before duplicates are dropped, and the cases in the end.
inline constexpr int64_t kMaxInputCombinations = 1'000'000;
inline constexpr int64_t kMaxCases = 100'000;

}  // namespace attn::spec_limits
