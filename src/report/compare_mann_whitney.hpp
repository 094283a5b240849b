// The Mann-Whitney U test (Wilcoxon rank-sum) on two independent samples, two-sided: are the raw
// timing samples of BASE and NEW drawn from the same distribution? `compare` gates a time change on
// it, as Google Benchmark's compare.py and asv do, so a ratio produced by noise does not fail CI.
//
// Why not a library: Debian's ALGLIB (libalglib-dev 3.19) has mannwhitneyutest, but it needs at
// least 5 samples per side, clamps p to [1e-4, 0.25] (its approximation is tuned for that range)
// and is GPL-2+. GSL and Boost.Math (1.74) have no U test. So it is written here, following the
// textbook definitions (Mann & Whitney 1947; tie correction as in Lehmann, "Nonparametrics"), and
// tested against hand-computed exact values and SciPy's documented results.
#pragma once

#include <span>

namespace attn {

struct MannWhitneyResult {
  double u = 0;          // U of the first sample: pairs (x, y) with x > y, ties counting 1/2
  double p_value = 1;    // two-sided; 1 when either sample is empty or all values are tied
  bool exact = false;    // exact null distribution (no ties, n + m <= kMannWhitneyExactMax)
  bool ties = false;     // the pooled sample had ties (then the normal approximation is used)
};

// Largest n + m for which the exact distribution is counted (128-bit integers hold every count).
inline constexpr int kMannWhitneyExactMax = 120;

// Exact when there are no ties and n + m <= kMannWhitneyExactMax; otherwise the normal
// approximation with the tie-corrected variance and a continuity correction of 1/2.
MannWhitneyResult mann_whitney_u(std::span<const double> x, std::span<const double> y);

}  // namespace attn
