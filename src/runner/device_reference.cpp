// GPU exact outputs for large groups. The fused fp64 kernel is the same algorithm as the CPU's
// reference (tiled online softmax); the cross-check recomputes the first 64 query rows of every head
// on the CPU in fp64 (keys and mask as in the full problem: the mask compares global indices, and
// rows 0..63 are global rows 0..63) and requires a relative difference below 1e-10.
#include "runner/device_reference.hpp"

#include <cmath>
#include <cstdio>

#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "core/half.hpp"
#include "ops/cuda/flash_attention.hpp"
#include "ops/flash_attention.hpp"

namespace attn {

namespace {

constexpr int64_t kCheckRows = 64;

// A device buffer freed on scope exit.
struct DeviceBuffer {
  DeviceBuffer(std::size_t bytes) : ptr(device_alloc(Device::cuda, bytes)) {}
  ~DeviceBuffer() { device_free(Device::cuda, ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* ptr;
};

// The fused kernel on the device for host q, k, v of element T (fp32, fp64, Half, BFloat16; `scale`
// is T for the wide types and float for the 16-bit ones).
template <class T, class Scale>
std::vector<T> run_on_device(CudaSession& session, const ops::FlashShape& fs, Scale scale, const std::vector<T>& q,
                             const std::vector<T>& k, const std::vector<T>& v) {
  const std::size_t bytes = q.size() * sizeof(T);
  DeviceBuffer dq(bytes), dk(bytes), dv(bytes), dout(bytes);
  copy_bytes(dq.ptr, Device::cuda, q.data(), Device::cpu, bytes);
  copy_bytes(dk.ptr, Device::cuda, k.data(), Device::cpu, bytes);
  copy_bytes(dv.ptr, Device::cuda, v.data(), Device::cpu, bytes);
  Workspace ws(Device::cuda);
  const Context ctx = session.make_context(ws, 1);
  ops::flash_attention(ctx, fs, scale, static_cast<const T*>(dq.ptr), static_cast<const T*>(dk.ptr),
                       static_cast<const T*>(dv.ptr), static_cast<T*>(dout.ptr));
  session.synchronize();
  std::vector<T> out(q.size());
  copy_bytes(out.data(), Device::cpu, dout.ptr, Device::cuda, bytes);
  return out;
}

// Relative Frobenius difference of the first kCheckRows rows of every head against the CPU.
double check_first_rows(const InputTensors& in, const ops::FlashShape& fs, double scale, const std::vector<double>& q,
                        const std::vector<double>& k, const std::vector<double>& v, const std::vector<double>& got) {
  const int64_t n = in.shape.seq_len, d = in.shape.head_dim, heads = in.shape.heads_total();
  const int64_t rows = n < kCheckRows ? n : kCheckRows;
  std::vector<double> q_rows(static_cast<std::size_t>(heads * rows * d)), want(q_rows.size());
  for (int64_t h = 0; h < heads; ++h)
    std::copy(q.begin() + h * n * d, q.begin() + (h * n + rows) * d, q_rows.begin() + h * rows * d);
  ops::FlashShape part = fs;
  part.seq_len = rows;
  part.seq_len_k = n;
  Workspace ws(Device::cpu);
  const Context cpu{.device = Device::cpu, .workspace = &ws, .threads = 1};
  ops::flash_attention<double>(cpu, part, scale, q_rows.data(), k.data(), v.data(), want.data());
  double num = 0, den = 0;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t e = 0; e < rows * d; ++e) {
      const double a = got[static_cast<std::size_t>(h * n * d + e)], b = want[static_cast<std::size_t>(h * rows * d + e)];
      num += (a - b) * (a - b);
      den += b * b;
    }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

template <class H>
std::vector<float> run_16bit(CudaSession& session, const ops::FlashShape& fs, const InputTensors& in, H (*round)(float)) {
  auto convert = [&](const std::vector<float>& x) {
    std::vector<H> h(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) h[i] = round(x[i]);
    return h;
  };
  const std::vector<H> out = run_on_device<H>(session, fs, 1.0f / std::sqrt(static_cast<float>(fs.head_dim)),
                                               convert(in.q), convert(in.k), convert(in.v));
  std::vector<float> out32(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) out32[i] = to_float(out[i]);
  return out32;
}

}  // namespace

std::optional<std::vector<float>> exact_16bit_on_device(const InputTensors& in, bool causal, DType dtype) {
  const Shape& s = in.shape;
  if ((dtype != DType::f16 && dtype != DType::bf16) || !cuda_available()) return std::nullopt;
  try {
    ops::FlashShape fs{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
                       .tiles = ops::default_flash_tiles(s.head_dim)};
    fs.mask.causal = causal;
    CudaSession session;
    if (dtype == DType::f16) return run_16bit<Half>(session, fs, in, to_half);
    return run_16bit<BFloat16>(session, fs, in, to_bfloat16);
  } catch (const CaseError& e) {  // unsupported head size included
    std::fprintf(stderr, "attnbench: the %s noise floor could not run on the device (%s)\n",
                 std::string(dtype_name(dtype)).c_str(), e.what());
    return std::nullopt;
  }
}

std::optional<DeviceExact> exact_on_device(const InputTensors& in, bool causal) {
  const Shape& s = in.shape;
  if (s.seq_len < kDeviceReferenceMinSeqLen || s.head_dim > ops::cuda::kFlashMaxHeadDim || !cuda_available())
    return std::nullopt;
  try {
    ops::FlashShape fs{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
                       .tiles = ops::default_flash_tiles(s.head_dim)};
    fs.mask.causal = causal;
    CudaSession session;
    const std::vector<double> q(in.q.begin(), in.q.end()), k(in.k.begin(), in.k.end()), v(in.v.begin(), in.v.end());
    const double scale = 1.0 / std::sqrt(static_cast<double>(s.head_dim));
    DeviceExact out;
    out.reference = run_on_device<double>(session, fs, scale, q, k, v);
    const double diff = check_first_rows(in, fs, scale, q, k, v, out.reference);
    if (!(diff < 1e-10)) {
      std::fprintf(stderr, "attnbench: the device fp64 reference differs from the CPU's by %.3g; using the CPU\n", diff);
      return std::nullopt;
    }
    out.exact32 = run_on_device<float>(session, fs, 1.0f / std::sqrt(static_cast<float>(s.head_dim)), in.q, in.k, in.v);
    return out;
  } catch (const CaseError& e) {
    std::fprintf(stderr, "attnbench: device reference failed (%s); using the CPU\n", e.what());
    return std::nullopt;
  }
}

}  // namespace attn
