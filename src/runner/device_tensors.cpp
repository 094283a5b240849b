#include "runner/device_tensors.hpp"

#include <limits>

#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "core/half.hpp"

namespace attn {

namespace {
Tensor view(void* data, const Shape& shape, Device device, DType dtype = DType::f32) {
  return Tensor{.data = data, .shape = shape, .dtype = dtype, .device = device};
}

// Host bytes of `x` stored in `dtype` (fp32 as is; fp16/bf16 rounded to nearest even).
std::vector<uint16_t> to_16bit(const std::vector<float>& x, DType dtype) {
  std::vector<uint16_t> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = dtype == DType::f16 ? to_half(x[i]).bits : to_bfloat16(x[i]).bits;
  return out;
}
}  // namespace

DeviceTensors::DeviceTensors(Device device, const InputTensors& in, int threads, DType dtype)
    : device_(device), dtype_(dtype), ws_(std::make_unique<Workspace>(device)) {
  if (dtype != DType::f32 && (device == Device::cpu || (dtype != DType::f16 && dtype != DType::bf16)))
    throw UnsupportedError(std::string("inputs of dtype ") + std::string(dtype_name(dtype)) + " on " +
                           std::string(device_name(device)) + " (fp32 everywhere, fp16/bf16 on cuda)");
  ctx_ = Context{.device = device, .workspace = ws_.get(), .threads = threads};
  const Shape& s = in.shape;
  if (device == Device::cpu) {
    // The host group's vectors are read-only for methods; no copy is needed.
    q_ = view(const_cast<float*>(in.q.data()), s, device);
    k_ = view(const_cast<float*>(in.k.data()), s, device);
    v_ = view(const_cast<float*>(in.v.data()), s, device);
    host_out_.assign(in.q.size(), std::numeric_limits<float>::quiet_NaN());
    out_ = view(host_out_.data(), s, device);
    return;
  }
  session_ = std::make_unique<CudaSession>();
  ctx_ = session_->make_context(*ws_, threads);
  const std::size_t bytes = in.q.size() * dtype_size(dtype);
  auto upload = [&](const std::vector<float>& host) {
    void* p = device_alloc(device, bytes);
    owned_.push_back(p);
    if (dtype == DType::f32) {
      copy_bytes(p, device, host.data(), Device::cpu, bytes);
    } else {
      const std::vector<uint16_t> h = to_16bit(host, dtype);
      copy_bytes(p, device, h.data(), Device::cpu, bytes);
    }
    return view(p, s, device, dtype);
  };
  q_ = upload(in.q);
  k_ = upload(in.k);
  v_ = upload(in.v);
  out_ = view(device_alloc(device, bytes), s, device, dtype);
  owned_.push_back(out_.data);
  fill_output_nan();
  // The cuBLAS workspace was attributed to the case; the peak starts after the inputs exist.
  ws_->reset_peak();
}

DeviceTensors::~DeviceTensors() {
  session_.reset();
  for (void* p : owned_) device_free(device_, p);
}

std::vector<float> DeviceTensors::output_to_host() const {
  device_synchronize(device_);  // ops run on the session's non-blocking stream
  std::vector<float> host(static_cast<size_t>(out_.shape.numel()));
  if (dtype_ == DType::f32) {
    copy_bytes(host.data(), Device::cpu, out_.data, device_, host.size() * sizeof(float));
    return host;
  }
  std::vector<uint16_t> h(host.size());
  copy_bytes(h.data(), Device::cpu, out_.data, device_, h.size() * sizeof(uint16_t));
  for (std::size_t i = 0; i < h.size(); ++i)
    host[i] = dtype_ == DType::f16 ? to_float(Half{h[i]}) : to_float(BFloat16{h[i]});
  return host;
}

void DeviceTensors::fill_output_nan() {
  std::vector<float> nan(static_cast<size_t>(out_.shape.numel()), std::numeric_limits<float>::quiet_NaN());
  if (dtype_ == DType::f32) {
    copy_bytes(out_.data, device_, nan.data(), Device::cpu, nan.size() * sizeof(float));
  } else {
    const std::vector<uint16_t> h = to_16bit(nan, dtype_);
    copy_bytes(out_.data, device_, h.data(), Device::cpu, h.size() * sizeof(uint16_t));
  }
}

}  // namespace attn
