// CPU vs GPU for the YOSO family's ops. LSH: codes agree except where a projection lies within rounding of 0
// (bounded: under 0.1% of codes may differ); with the CPU's codes on both devices, YOSO's bucket
// cumulation matches to normalized MSE below 1e-7 and Scatterbrain's stable sort by code gives the
// identical permutation (ties in sequence order). The exact collision-kernel attention (YOSO-E)
// matches to 1e-7 over several 512-key tiles, zero rows included. Skips without a device.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/rng.hpp"
#include "cuda_testing.hpp"
#include "ops/angular_kernel.hpp"
#include "ops/lsh.hpp"
#include "ops_testing.hpp"

namespace attn::ops {
namespace {

using testing::DeviceVector;

template <class T>
void lsh_case(CudaSession& session, int64_t n, int64_t hashes, int64_t bits) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const LshShape s{.batch = 3, .seq_len = n, .head_dim = 40, .hashes = hashes, .bits = bits};
  const std::string what = "N=" + std::to_string(n) + " hashes=" + std::to_string(hashes) + " bits=" + std::to_string(bits);
  const auto x = testing::normal_vector<T>(s.batch * n * s.head_dim, 1, "x");
  const auto planes = testing::normal_vector<T>(std::max<int64_t>(1, s.batch * hashes * bits * s.head_dim), 2, "planes");
  std::vector<int32_t> codes(static_cast<std::size_t>(s.batch * hashes * n));
  DeviceVector<T> dx(x), dplanes(planes);
  DeviceVector<int32_t> dcodes(codes);
  lsh_hash<T>(cpu.ctx, s, x.data(), planes.data(), codes.data());
  lsh_hash<T>(gpu.ctx, s, dx.ptr, dplanes.ptr, dcodes.ptr);
  const auto got = dcodes.to_host();
  int64_t differ = 0;
  for (std::size_t i = 0; i < codes.size(); ++i) differ += got[i] != codes[i] ? 1 : 0;
  EXPECT_LE(differ, static_cast<int64_t>(codes.size() / 1000)) << what;

  // The rest on the CPU's codes, so both sides see the same buckets.
  DeviceVector<int32_t> shared_codes(codes);
  const auto v = testing::normal_vector<T>(s.batch * n * 24, 3, "v");
  std::vector<T> out(v.size());
  DeviceVector<T> dv(v), dout(out);
  lsh_bucket_sum<T>(cpu.ctx, s, 24, codes.data(), codes.data(), v.data(), out.data());
  lsh_bucket_sum<T>(gpu.ctx, s, 24, shared_codes.ptr, shared_codes.ptr, dv.ptr, dout.ptr);
  EXPECT_LT(testing::nmse(dout.to_host(), out), 1e-7) << "lsh_bucket_sum " << what;
  std::vector<int64_t> perm(static_cast<std::size_t>(s.batch * n), -1);
  DeviceVector<int64_t> dperm(perm);
  lsh_sort(cpu.ctx, s, codes.data(), perm.data());
  lsh_sort(gpu.ctx, s, shared_codes.ptr, dperm.ptr);
  EXPECT_EQ(dperm.to_host(), perm) << "lsh_sort " << what;
}

TEST(OpsCudaLsh, HashCumulateAndSortMatchCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t n : {1, 97, 1025}) {
    lsh_case<float>(session, n, 4, 6);
    lsh_case<float>(session, n, 1, 0);  // zero bits: one bucket, the sort keeps sequence order
    lsh_case<double>(session, n, 3, 9);
  }
}

template <class T>
void angular_case(CudaSession& session, int64_t n, int64_t bits) {
  testing::CpuCase cpu(2);
  testing::GpuCase gpu(session);
  const AngularKernelShape s{.batch = 3, .seq_len = n, .head_dim = 40, .value_dim = 24, .bits = bits};
  auto q = testing::normal_vector<T>(s.batch * n * s.head_dim, 4, "q");
  std::fill(q.begin(), q.begin() + s.head_dim, T(0));  // a zero query row: orthogonal to every key
  const auto k = testing::normal_vector<T>(s.batch * n * s.head_dim, 5, "k");
  const auto v = testing::normal_vector<T>(s.batch * n * s.value_dim, 6, "v");
  std::vector<T> out(v.size());
  DeviceVector<T> dq(q), dk(k), dv(v), dout(out);
  angular_kernel_attention<T>(cpu.ctx, s, q.data(), k.data(), v.data(), out.data());
  angular_kernel_attention<T>(gpu.ctx, s, dq.ptr, dk.ptr, dv.ptr, dout.ptr);
  EXPECT_LT(testing::nmse(dout.to_host(), out), 1e-7) << "N=" << n << " bits=" << bits;
}

TEST(OpsCudaLsh, AngularKernelAttentionMatchesCpu) {
  ATTN_SKIP_WITHOUT_GPU();
  CudaSession session;
  for (int64_t n : {1, 97, 1025}) {
    for (int64_t bits : {0, 3, 8}) angular_case<float>(session, n, bits);
    angular_case<double>(session, n, 5);
  }
}

}  // namespace
}  // namespace attn::ops
