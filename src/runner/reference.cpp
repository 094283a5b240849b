#include "runner/reference.hpp"

#include <chrono>
#include <cmath>
#include <optional>

#include "core/context.hpp"
#include "metrics/error_metrics.hpp"
#include "ops/flash_attention.hpp"
#include "ops/reduce.hpp"
#include "runner/device_reference.hpp"

namespace attn {

Reference compute_reference(const InputTensors& in, bool causal, int threads, bool on_device, DType dtype) {
  const auto t0 = std::chrono::steady_clock::now();
  const Shape& s = in.shape;
  const int64_t rows = s.heads_total() * s.seq_len;
  Workspace ws(Device::cpu);
  Context ctx{.device = Device::cpu, .workspace = &ws, .threads = threads};

  std::optional<DeviceExact> device = on_device ? exact_on_device(in, causal) : std::nullopt;
  ops::FlashShape fs{.batch = s.heads_total(), .seq_len = s.seq_len, .head_dim = s.head_dim,
                     .tiles = ops::default_flash_tiles(s.head_dim)};
  fs.mask.causal = causal;
  Reference ref;
  std::vector<double> v(in.v.begin(), in.v.end());
  if (device) {
    ref.output = std::move(device->reference);
  } else {
    std::vector<double> q(in.q.begin(), in.q.end()), k(in.k.begin(), in.k.end());
    ref.output.resize(q.size());
    ops::flash_attention<double>(ctx, fs, 1.0 / std::sqrt(static_cast<double>(s.head_dim)), q.data(), k.data(),
                                 v.data(), ref.output.data());
  }

  std::vector<double> mean_v(v.size());
  ops::mean_rows<double>(ctx, s.heads_total(), s.seq_len, s.head_dim, causal, v.data(), mean_v.data());
  std::vector<float> mean_v32(mean_v.begin(), mean_v.end());
  ref.trivial_rel_fro = compare_outputs(mean_v32.data(), ref.output.data(), rows, s.head_dim).rel_fro;

  std::vector<float> exact32;
  if (device) {
    exact32 = std::move(device->exact32);
  } else {
    exact32.resize(v.size());
    ops::flash_attention<float>(ctx, fs, 1.0f / std::sqrt(static_cast<float>(s.head_dim)), in.q.data(), in.k.data(),
                                in.v.data(), exact32.data());
  }
  ref.noise_floor_rel_fro = compare_outputs(exact32.data(), ref.output.data(), rows, s.head_dim).rel_fro;
  if (dtype == DType::f16 || dtype == DType::bf16) {
    const auto exact16 = exact_16bit_on_device(in, causal, dtype);
    ref.noise_floor_rel_fro = exact16 ? compare_outputs(exact16->data(), ref.output.data(), rows, s.head_dim).rel_fro
                                      : std::nan("");
  }
  ref.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ref;
}

}  // namespace attn
