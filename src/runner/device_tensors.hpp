// One case's operands on its device: Q, K, V copied from the host group, an output pre-filled with
// NaN (so an element a method never writes fails the finiteness check), the case's workspace and
// the context (CUDA stream and cuBLAS handle on the GPU). Inputs and output are not part of the
// method's tracked workspace: the peak measures what the method adds.
#pragma once

#include <memory>
#include <vector>

#include "core/context.hpp"
#include "core/tensor.hpp"
#include "core/workspace.hpp"
#include "inputs/input_spec.hpp"

namespace attn {

class CudaSession;

class DeviceTensors {
 public:
  // dtype fp16/bf16 (GPU only): Q, K, V are rounded to it on upload and the output is stored in it;
  // output_to_host converts back to fp32.
  DeviceTensors(Device device, const InputTensors& inputs, int threads, DType dtype = DType::f32);
  ~DeviceTensors();
  DeviceTensors(const DeviceTensors&) = delete;
  DeviceTensors& operator=(const DeviceTensors&) = delete;

  const Tensor& q() const { return q_; }
  const Tensor& k() const { return k_; }
  const Tensor& v() const { return v_; }
  Tensor& out() { return out_; }
  Context& context() { return ctx_; }
  Workspace& workspace() { return *ws_; }

  std::vector<float> output_to_host() const;
  void fill_output_nan();

 private:
  Device device_;
  DType dtype_;
  std::unique_ptr<Workspace> ws_;
  std::unique_ptr<CudaSession> session_;
  Context ctx_;
  std::vector<void*> owned_;  // device copies (empty on the CPU, where the host vectors are used)
  std::vector<float> host_out_;
  Tensor q_, k_, v_, out_;
};

}  // namespace attn
