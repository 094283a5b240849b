// Validated entry of linear (feature-map) attention.
#include "ops/linear_attention.hpp"

#include "ops/cpu/linear_attention.hpp"
#include "ops/cuda/linear_attention.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

std::size_t linear_attention_scratch_bytes(const LinearAttentionShape& s, std::size_t elem_bytes, int threads,
                                           Device device) {
  if (device == Device::cuda) {  // the keys of ops/cuda/linear_attention.cu
    const auto b = static_cast<std::size_t>(s.batch), n = static_cast<std::size_t>(s.seq_len),
               m = static_cast<std::size_t>(s.features), dv = static_cast<std::size_t>(s.value_dim),
               c = static_cast<std::size_t>(s.chunk);
    if (elem_bytes == 2) {  // the 16-bit path: fp32 working copies plus 16-bit GEMM operands
      constexpr std::size_t f = sizeof(float);
      return b * m * dv * (f + elem_bytes) + (b * m + b * n + b * n * dv) * f +
             (s.causal ? b * c * c * (f + elem_bytes) : 0) + sizeof(unsigned long long);
    }
    return (b * m * dv + b * m + b * n + (s.causal ? b * c * c : 0)) * elem_bytes + sizeof(unsigned long long);
  }
  return cpu::linear_attention_elems_per_worker(s) * elem_bytes *
         static_cast<std::size_t>(cpu::linear_attention_workers(s, threads));
}

namespace {

void check_linear(const Context& ctx, const LinearAttentionShape& s, const void* phi_q, const void* phi_k,
                  const void* v, const void* out) {
  ATTN_CHECK(s.batch > 0 && s.seq_len > 0 && s.features > 0 && s.value_dim > 0,
             "linear_attention: sizes must be positive");
  ATTN_CHECK(s.chunk > 0, "linear_attention: chunk must be positive");
  ATTN_CHECK(s.guard_eps >= 0, "linear_attention: guard_eps must be >= 0");
  ATTN_CHECK(phi_q != nullptr && phi_k != nullptr && v != nullptr && out != nullptr,
             "linear_attention: null operand");
  ATTN_CHECK(ctx.workspace != nullptr, "linear_attention: the context needs a workspace");
}

[[noreturn]] void no_cpu_half() {
  throw UnsupportedError("op 'linear_attention' runs fp16/bf16 on cuda only (the cpu backend runs fp32/fp64)");
}

// The 16-bit entries share this; H is Half or BFloat16.
template <class H>
int64_t linear_attention_16(const Context& ctx, const LinearAttentionShape& s, const H* phi_q, const H* phi_k,
                            const H* v, H* out) {
  check_linear(ctx, s, phi_q, phi_k, v, out);
  int64_t bad = 0;
  ATTN_DISPATCH(ctx, "linear_attention", no_cpu_half(), bad = cuda::linear_attention(ctx, s, phi_q, phi_k, v, out));
  return bad;
}

}  // namespace

template <class T>
int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const T* phi_q, const T* phi_k,
                         const T* v, T* out) {
  check_linear(ctx, s, phi_q, phi_k, v, out);
  int64_t bad = 0;
  ATTN_DISPATCH(ctx, "linear_attention", bad = cpu::linear_attention(ctx, s, phi_q, phi_k, v, out),
                bad = cuda::linear_attention(ctx, s, phi_q, phi_k, v, out));
  return bad;
}

int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const Half* phi_q, const Half* phi_k,
                         const Half* v, Half* out) {
  return linear_attention_16(ctx, s, phi_q, phi_k, v, out);
}

int64_t linear_attention(const Context& ctx, const LinearAttentionShape& s, const BFloat16* phi_q,
                         const BFloat16* phi_k, const BFloat16* v, BFloat16* out) {
  return linear_attention_16(ctx, s, phi_q, phi_k, v, out);
}

template int64_t linear_attention<float>(const Context&, const LinearAttentionShape&, const float*, const float*,
                                         const float*, float*);
template int64_t linear_attention<double>(const Context&, const LinearAttentionShape&, const double*,
                                          const double*, const double*, double*);

}  // namespace attn::ops
