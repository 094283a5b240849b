#include "report/compare_mann_whitney.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace attn {
namespace {

__extension__ typedef __int128 Count;  // exact counts up to C(120, 60) ~ 1e35

// Number of arrangements of n x's and m y's with U = u, for u = 0..n*m: the coefficients of the
// Gaussian binomial [n+m choose n]_q. Built one factor at a time, [m+i choose i] = [m+i-1 choose
// i-1] * (1 - q^(m+i)) / (1 - q^i), so every intermediate is an exact integer polynomial and the
// final counts sum to C(n+m, n) < 2^127 for n + m <= 120.
std::vector<Count> u_counts(int n, int m) {
  const int degree = n * m;
  std::vector<Count> c(static_cast<size_t>(degree + n + 1), 0);
  c[0] = 1;
  for (int i = 1; i <= n; ++i) {
    const int up = m + i;  // multiply by (1 - q^up)
    for (int k = degree + n; k >= up; --k) c[static_cast<size_t>(k)] -= c[static_cast<size_t>(k - up)];
    for (int k = i; k <= degree + n; ++k) c[static_cast<size_t>(k)] += c[static_cast<size_t>(k - i)];  // divide by (1 - q^i)
  }
  c.resize(static_cast<size_t>(degree + 1));
  return c;
}

double exact_two_sided(double u, int n, int m) {
  const auto counts = u_counts(n, m);
  const Count total = std::accumulate(counts.begin(), counts.end(), Count(0));
  // U is an integer here (no ties). The null distribution is symmetric about n*m/2, so the
  // two-sided p is twice the smaller tail, P(U <= min(u, nm - u)).
  const int lower = static_cast<int>(std::llround(std::min(u, n * m - u)));
  Count tail = 0;
  for (int k = 0; k <= lower; ++k) tail += counts[static_cast<size_t>(k)];
  return std::min(1.0, 2.0 * static_cast<double>(tail) / static_cast<double>(total));
}

}  // namespace

MannWhitneyResult mann_whitney_u(std::span<const double> x, std::span<const double> y) {
  MannWhitneyResult r;
  const size_t n = x.size(), m = y.size();
  if (n == 0 || m == 0) return r;

  // Midranks of the pooled sample.
  struct Item {
    double value;
    bool first;
  };
  std::vector<Item> pooled;
  pooled.reserve(n + m);
  for (double v : x) pooled.push_back({v, true});
  for (double v : y) pooled.push_back({v, false});
  std::sort(pooled.begin(), pooled.end(), [](const Item& a, const Item& b) { return a.value < b.value; });
  double rank_sum_x = 0, tie_term = 0;  // tie_term = sum over tie groups of t^3 - t
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    while (j < pooled.size() && pooled[j].value == pooled[i].value) ++j;
    const double t = static_cast<double>(j - i);
    const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k)
      if (pooled[k].first) rank_sum_x += midrank;
    if (t > 1) {
      tie_term += t * t * t - t;
      r.ties = true;
    }
    i = j;
  }
  const double nn = static_cast<double>(n), mm = static_cast<double>(m), total = nn + mm;
  r.u = rank_sum_x - nn * (nn + 1) / 2;

  if (!r.ties && n + m <= static_cast<size_t>(kMannWhitneyExactMax)) {
    r.exact = true;
    r.p_value = exact_two_sided(r.u, static_cast<int>(n), static_cast<int>(m));
    return r;
  }
  const double mean = nn * mm / 2;
  const double variance = nn * mm / 12 * ((total + 1) - tie_term / (total * (total - 1)));
  if (variance <= 0) return r;  // every value tied: no evidence of a difference
  const double z = std::max(0.0, std::abs(r.u - mean) - 0.5) / std::sqrt(variance);
  r.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return r;
}

}  // namespace attn
