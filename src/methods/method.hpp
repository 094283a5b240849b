// The method interface. A method file defines a Method subclass and registers a MethodInfo at static
// initialisation (registry.hpp); nothing central lists methods. Methods are device-agnostic: they
// compose ops (src/ops/) on the context's device and take all memory from the context's workspace.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/params.hpp"
#include "core/tensor.hpp"

#include <nlohmann/json.hpp>

namespace attn {

// What the method's error is measured against (shared/methods/README.md "Reference kinds").
enum class ReferenceKind {
  softmax,  // approximates softmax attention
  self,     // a different operator: error against its own exact form only
  both,     // reports against softmax and against its own kernel
};

// The uniform sweep knobs (DESIGN.md §3). Unset when the spec does not sweep them.
struct Budget {
  std::optional<int64_t> rank;
  std::optional<double> sparsity;  // fraction of N x N scores NOT computed; density = 1 - sparsity
};

// What a case actually ran with after rounding (recorded beside the requested budget).
struct Realized {
  std::optional<int64_t> rank;
  std::optional<double> density;  // computed exact score entries / N^2
};

struct CaseShape {
  int64_t batch = 1, heads = 1, seq_len = 0, head_dim = 0;
  bool causal = false;
  // Where and in what element type the case runs: workspace estimates depend on both (a CUDA op may
  // keep different scratch than its CPU twin, per-thread scratch exists only on the CPU, 16-bit
  // buffers are half the size). Budget resolution ignores them.
  Device device = Device::cpu;
  DType dtype = DType::f32;
  int64_t heads_total() const { return batch * heads; }
  Shape tensor_shape() const { return {batch, heads, seq_len, head_dim}; }
};

// Everything a method instance is built from. `rng_key` names the case's randomness stream; a
// method derives its own purposes from it (Rng(config.seed, config.rng_key, "features")).
struct MethodConfig {
  CaseShape shape;
  ParamSet params;  // every declared parameter resolved
  uint64_t seed = 0;
  std::string rng_key;
};

class Method {
 public:
  virtual ~Method() = default;
  // Data-independent set-up (drawing random features, building layouts), timed as `setup_ms`.
  // Allocates from ctx.workspace what prepare itself produces.
  virtual void prepare(Context& ctx) {}
  // One forward pass: out = method(q, k, v). All tensors live on ctx.device, shape [B, H, N, d]
  // (fp32). Scratch comes from ctx.workspace by key, so repeated calls reuse the same memory.
  virtual void forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) = 0;
  // The method's own exact operator, for ReferenceKind self/both (unused otherwise).
  virtual void forward_own_exact(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out) {}
  // Extra per-case facts for the report (e.g. bad denominator rows, block sizes actually used).
  virtual nlohmann::json diagnostics() const;
};

struct MethodInfo {
  std::string name;     // canonical, lowercase, hyphenated
  std::string family;   // exact, sparse, low-rank, kernel, sampling, hybrid, frequency, mixer, oracle, baseline
  std::string summary;  // one line
  std::string paper;    // citation
  std::vector<ParamSpec> params;
  std::string budget_doc;  // how rank / sparsity map onto the parameters
  bool uses_rank = false;
  bool uses_sparsity = false;
  bool supports_causal = false;
  bool randomized = false;   // output depends on the seed
  bool subquadratic = false; // never materializes N x N (tested at N = 4096)
  // out = A(q, k) v for some N x N matrix A per head that does not depend on v (so probing with
  // identity values recovers A: metrics/attention_probe.hpp). False for mixers that mix channels.
  bool linear_in_v = false;
  std::string complexity;    // e.g. "O(N m d)"
  ReferenceKind reference = ReferenceKind::softmax;
  std::vector<Device> devices = {Device::cpu, Device::cuda};
  // Element types forward() accepts for Q, K, V and the output (fp16/bf16 only on the GPU: the
  // runner stores the inputs in that type and compares the output in fp64 as for fp32).
  std::vector<DType> dtypes = {DType::f32};

  // Maps the budget onto the parameters (overriding their defaults unless the user set them
  // explicitly, in which case `explicit_params` lists them) and fills `realized`. Throws UsageError
  // for a setting that is wrong at any shape (e.g. an odd feature count for trig features), and
  // UnsupportedError for one the method cannot honour at this shape (e.g. rank > N): that case is
  // then `skipped` with the message as its reason and the rest of the sweep runs.
  std::function<void(const Budget& budget, const CaseShape& shape, const std::vector<std::string>& explicit_params,
                     ParamSet& params, Realized& realized)>
      apply_budget;
  // Algorithmic FLOPs of one forward (all heads).
  std::function<double(const CaseShape&, const ParamSet&)> flops;
  // Workspace bytes one forward holds at its peak (all heads, threads = `threads`).
  std::function<double(const CaseShape&, const ParamSet&, int threads)> workspace_bytes;
  std::function<std::unique_ptr<Method>(const MethodConfig&)> create;

  bool runs_on(Device d) const { return std::find(devices.begin(), devices.end(), d) != devices.end(); }
  bool takes(DType t) const { return std::find(dtypes.begin(), dtypes.end(), t) != dtypes.end(); }
};

std::string_view reference_kind_name(ReferenceKind k);

}  // namespace attn
