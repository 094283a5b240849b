// Mean-of-V baseline: every row the global mean, or the prefix mean when causal.
#include <gtest/gtest.h>

#include "ops/reduce.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

TEST(OpsReduce, MeanRowsFullAndCausal) {
  testing::CpuCase cc(2);
  const int64_t batch = 2, n = 33, dim = 5;
  const auto x = testing::normal_vector<double>(batch * n * dim, 1, "x");
  for (bool causal : {false, true}) {
    std::vector<double> out(x.size());
    mean_rows<double>(cc.ctx, batch, n, dim, causal, x.data(), out.data());
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t upto = causal ? i + 1 : n;
        for (int64_t c = 0; c < dim; ++c) {
          double sum = 0;
          for (int64_t r = 0; r < upto; ++r) sum += x[(b * n + r) * dim + c];
          EXPECT_NEAR(out[(b * n + i) * dim + c], sum / double(upto), 1e-13);
        }
      }
    }
  }
}

}  // namespace
}  // namespace attn::ops
