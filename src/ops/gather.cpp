// Validated entries of the row gathers and scatters.
#include "ops/gather.hpp"

#include "ops/cpu/gather.hpp"
#include "ops/cuda/gather.hpp"
#include "ops/dispatch.hpp"

namespace attn::ops {

namespace {
void check(const GatherShape& s, const int64_t* idx, const void* x, const void* out, const char* op) {
  ATTN_CHECK(s.batch > 0 && s.src_rows > 0 && s.count > 0 && s.dim > 0, std::string(op) + ": sizes must be positive");
  ATTN_CHECK(idx != nullptr && x != nullptr && out != nullptr, std::string(op) + ": null operand");
}
}  // namespace

template <class T>
void gather_rows(const Context& ctx, const GatherShape& s, const int64_t* idx, const T* x, T alpha, T beta, T* out) {
  check(s, idx, x, out, "gather_rows");
  ATTN_DISPATCH(ctx, "gather_rows", cpu::gather_rows(ctx, s, idx, x, alpha, beta, out),
                cuda::gather_rows(ctx, s, idx, x, alpha, beta, out));
}

template <class T>
void scatter_rows(const Context& ctx, const GatherShape& s, const int64_t* idx, const T* x, T* out) {
  check(s, idx, x, out, "scatter_rows");
  ATTN_DISPATCH(ctx, "scatter_rows", cpu::scatter_rows(ctx, s, idx, x, out),
                cuda::scatter_rows(ctx, s, idx, x, out));
}

template void gather_rows<float>(const Context&, const GatherShape&, const int64_t*, const float*, float, float, float*);
template void gather_rows<double>(const Context&, const GatherShape&, const int64_t*, const double*, double, double,
                                  double*);
template void scatter_rows<float>(const Context&, const GatherShape&, const int64_t*, const float*, float*);
template void scatter_rows<double>(const Context&, const GatherShape&, const int64_t*, const double*, double*);

}  // namespace attn::ops
