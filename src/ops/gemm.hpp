// Batched row-major GEMM: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b] for b < batch.
// CPU: CBLAS (OpenBLAS); batches run in parallel with single-threaded BLAS when there are at least
// as many batches as threads, otherwise one batch at a time with multi-threaded BLAS.
// CUDA: cublas{S,D}gemmStridedBatched on ctx.stream; 16-bit operands through cublasGemmStridedBatchedEx.
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "core/half.hpp"

namespace attn::ops {

enum class Trans { no, yes };

struct GemmShape {
  Trans trans_a = Trans::no;
  Trans trans_b = Trans::no;
  int64_t m = 0, n = 0, k = 0;  // op(A) is m x k, op(B) is k x n, C is m x n
  int64_t lda = 0, ldb = 0, ldc = 0;  // leading dimensions (row-major: the row pitch)
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;  // elements between batches; 0 broadcasts A or B
  int64_t batch = 1;
};

// Row-major with dense leading dimensions filled in from m, n, k and the transposes.
GemmShape gemm_shape(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, int64_t batch = 1);
// The same with explicit row pitches and batch strides (operands inside larger buffers).
GemmShape gemm_shape_pitched(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, int64_t batch, int64_t lda,
                             int64_t stride_a, int64_t ldb, int64_t stride_b, int64_t ldc, int64_t stride_c);

template <class T>
void gemm(const Context& ctx, const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c);

// fp16 / bf16 operands and result with fp32 accumulation and fp32 alpha, beta (cuBLAS GemmEx on
// tensor cores). GPU only: on the CPU, whose backend runs fp32/fp64, UnsupportedError names the op.
void gemm(const Context& ctx, const GemmShape& s, float alpha, const Half* a, const Half* b, float beta, Half* c);
void gemm(const Context& ctx, const GemmShape& s, float alpha, const BFloat16* a, const BFloat16* b, float beta,
          BFloat16* c);
// fp16 / bf16 operands with an fp32 result (tensor cores, fp32 accumulation): the products whose
// result the caller keeps in fp32 (a feature map's projection before the exp, the linear-attention
// state). GPU only, as above.
void gemm(const Context& ctx, const GemmShape& s, float alpha, const Half* a, const Half* b, float beta, float* c);
void gemm(const Context& ctx, const GemmShape& s, float alpha, const BFloat16* a, const BFloat16* b, float beta,
          float* c);

}  // namespace attn::ops
