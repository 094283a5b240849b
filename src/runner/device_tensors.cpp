#include "runner/device_tensors.hpp"

#include <limits>

#include "core/cuda_session.hpp"
#include "core/device_memory.hpp"

namespace attn {

namespace {
Tensor view(void* data, const Shape& shape, Device device) {
  return Tensor{.data = data, .shape = shape, .dtype = DType::f32, .device = device};
}
}  // namespace

DeviceTensors::DeviceTensors(Device device, const InputTensors& in, int threads)
    : device_(device), ws_(std::make_unique<Workspace>(device)) {
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
  const std::size_t bytes = in.q.size() * sizeof(float);
  auto upload = [&](const std::vector<float>& host) {
    void* p = device_alloc(device, bytes);
    owned_.push_back(p);
    copy_bytes(p, device, host.data(), Device::cpu, bytes);
    return view(p, s, device);
  };
  q_ = upload(in.q);
  k_ = upload(in.k);
  v_ = upload(in.v);
  out_ = view(device_alloc(device, bytes), s, device);
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
  copy_bytes(host.data(), Device::cpu, out_.data, device_, host.size() * sizeof(float));
  return host;
}

void DeviceTensors::fill_output_nan() {
  std::vector<float> nan(static_cast<size_t>(out_.shape.numel()), std::numeric_limits<float>::quiet_NaN());
  copy_bytes(out_.data, device_, nan.data(), Device::cpu, nan.size() * sizeof(float));
}

}  // namespace attn
