// Validated entry of the batched GEMM: every shape fact is checked once here, so the backends can
// trust their arguments.
#include "ops/gemm.hpp"

#include <climits>

#include "ops/cpu/gemm.hpp"
#include "ops/dispatch.hpp"
#if ATTNBENCH_HAVE_CUDA
#include "ops/cuda/gemm.hpp"
#endif

namespace attn::ops {

GemmShape gemm_shape(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, int64_t batch) {
  GemmShape s;
  s.trans_a = ta;
  s.trans_b = tb;
  s.m = m;
  s.n = n;
  s.k = k;
  s.lda = ta == Trans::no ? k : m;
  s.ldb = tb == Trans::no ? n : k;
  s.ldc = n;
  s.stride_a = m * k;
  s.stride_b = k * n;
  s.stride_c = m * n;
  s.batch = batch;
  return s;
}

GemmShape gemm_shape_pitched(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, int64_t batch, int64_t lda,
                             int64_t stride_a, int64_t ldb, int64_t stride_b, int64_t ldc, int64_t stride_c) {
  GemmShape s = gemm_shape(ta, tb, m, n, k, batch);
  s.lda = lda;
  s.ldb = ldb;
  s.ldc = ldc;
  s.stride_a = stride_a;
  s.stride_b = stride_b;
  s.stride_c = stride_c;
  return s;
}

namespace {

void check_gemm(const GemmShape& s, const void* a, const void* b, const void* c) {
  ATTN_CHECK(s.m > 0 && s.n > 0 && s.k > 0 && s.batch > 0, "gemm: m, n, k and batch must be positive");
  ATTN_CHECK(s.m <= INT_MAX && s.n <= INT_MAX && s.k <= INT_MAX && s.batch <= INT_MAX,
             "gemm: sizes must fit BLAS's int");
  // Row-major: a row of op(X) stored untransposed is as long as its column count.
  ATTN_CHECK(s.lda >= (s.trans_a == Trans::no ? s.k : s.m), "gemm: lda smaller than the row length of A");
  ATTN_CHECK(s.ldb >= (s.trans_b == Trans::no ? s.n : s.k), "gemm: ldb smaller than the row length of B");
  ATTN_CHECK(s.ldc >= s.n, "gemm: ldc < n");
  ATTN_CHECK(s.lda <= INT_MAX && s.ldb <= INT_MAX && s.ldc <= INT_MAX, "gemm: leading dimensions must fit int");
  ATTN_CHECK(s.stride_a >= 0 && s.stride_b >= 0, "gemm: negative batch stride");
  // Distinct batches must write distinct outputs (0 would race between parallel batches).
  ATTN_CHECK(s.batch == 1 || s.stride_c >= (s.m - 1) * s.ldc + s.n, "gemm: output batches overlap");
  ATTN_CHECK(a != nullptr && b != nullptr && c != nullptr, "gemm: null operand");
}

}  // namespace

template <class T>
void gemm(const Context& ctx, const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c) {
  check_gemm(s, a, b, c);
  ATTN_DISPATCH(ctx, "gemm", cpu::gemm(ctx, s, alpha, a, b, beta, c), cuda::gemm(ctx, s, alpha, a, b, beta, c));
}

namespace {
[[noreturn]] void no_cpu_half() {
  throw UnsupportedError("op 'gemm' runs fp16/bf16 on cuda only (the cpu backend runs fp32/fp64)");
}
}  // namespace

void gemm(const Context& ctx, const GemmShape& s, float alpha, const Half* a, const Half* b, float beta, Half* c) {
  check_gemm(s, a, b, c);
  ATTN_DISPATCH(ctx, "gemm", no_cpu_half(), cuda::gemm(ctx, s, alpha, a, b, beta, c));
}

void gemm(const Context& ctx, const GemmShape& s, float alpha, const BFloat16* a, const BFloat16* b, float beta,
          BFloat16* c) {
  check_gemm(s, a, b, c);
  ATTN_DISPATCH(ctx, "gemm", no_cpu_half(), cuda::gemm(ctx, s, alpha, a, b, beta, c));
}

void gemm(const Context& ctx, const GemmShape& s, float alpha, const Half* a, const Half* b, float beta, float* c) {
  check_gemm(s, a, b, c);
  ATTN_DISPATCH(ctx, "gemm", no_cpu_half(), cuda::gemm(ctx, s, alpha, a, b, beta, c));
}

void gemm(const Context& ctx, const GemmShape& s, float alpha, const BFloat16* a, const BFloat16* b, float beta,
          float* c) {
  check_gemm(s, a, b, c);
  ATTN_DISPATCH(ctx, "gemm", no_cpu_half(), cuda::gemm(ctx, s, alpha, a, b, beta, c));
}

template void gemm<float>(const Context&, const GemmShape&, float, const float*, const float*, float, float*);
template void gemm<double>(const Context&, const GemmShape&, double, const double*, const double*, double, double*);

}  // namespace attn::ops
