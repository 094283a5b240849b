// attnbench apply: one forward of one method on the user's own Q, K, V (.npy), written as .npy.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/device_memory.hpp"
#include "core/error.hpp"
#include "core/threads.hpp"
#include "inputs/npy.hpp"
#include "methods/registry.hpp"
#include "metrics/error_metrics.hpp"
#include "report/report_io.hpp"
#include "runner/device_tensors.hpp"
#include "runner/reference.hpp"

namespace attn::cli {

namespace {

// [N, d] or [B, H, N, d] -> Shape; anything else is a usage error naming the file.
Shape shape_of(const NpyArray& a, const std::string& path) {
  if (a.shape.size() == 2) return {1, 1, a.shape[0], a.shape[1]};
  if (a.shape.size() == 4) return {a.shape[0], a.shape[1], a.shape[2], a.shape[3]};
  throw UsageError(fmt::format("{}: expected shape [N, d] or [B, H, N, d], got {} dimensions", path, a.shape.size()));
}

std::vector<std::pair<std::string, ParamValue>> parse_sets(const MethodInfo& info, const std::vector<std::string>& sets) {
  std::vector<std::pair<std::string, ParamValue>> out;
  for (const auto& kv : sets) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw UsageError(fmt::format("--set {}: expected key=value", kv));
    const std::string key = kv.substr(0, eq);
    const ParamSpec* spec = nullptr;
    std::vector<std::string> known;
    for (const auto& p : info.params) {
      known.push_back(p.name);
      if (p.name == key) spec = &p;
    }
    if (spec == nullptr)
      throw UsageError(fmt::format("--set {}: method '{}' has no parameter '{}' (known: {})", kv, info.name, key,
                                   known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
    out.emplace_back(key, parse_param_text(*spec, kv.substr(eq + 1), "--set " + key));
  }
  return out;
}

}  // namespace

namespace {
Action add_apply_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("apply", "Run one method once on your own Q, K, V (.npy) and write the output (.npy)");
  struct Args {
    std::string method, q, k, v, out, device = "cpu";
    std::vector<std::string> sets;
    int64_t rank = 0;
    double sparsity = -1;
    bool causal = false, compare = false;
    uint64_t seed = 0;
    int threads = 0;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--method", a->method, "Method name (see `attnbench list`)")->required();
  cmd->add_option("--set", a->sets, "Method parameter key=value (repeatable)");
  cmd->add_option("--rank", a->rank, "Budget: rank")->check(CLI::PositiveNumber);
  cmd->add_option("--sparsity", a->sparsity, "Budget: sparsity in [0, 1)")->check(CLI::Range(0.0, 0.999999));
  cmd->add_option("--q", a->q, "Queries .npy ([N, d] or [B, H, N, d])")->required();
  cmd->add_option("--k", a->k, "Keys .npy")->required();
  cmd->add_option("--v", a->v, "Values .npy")->required();
  cmd->add_option("-o,--output", a->out, "Output .npy")->required();
  cmd->add_option("--device", a->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--seed", a->seed, "Seed of the method's randomness");
  cmd->add_option("--threads", a->threads, "OpenMP and BLAS threads (default: all)");
  cmd->add_flag("--causal", a->causal, "Causal mask (j <= i)");
  cmd->add_flag("--compare", a->compare, "Also print the error against exact fp64 softmax attention");
  return [a]() {
    const MethodInfo* info = MethodRegistry::instance().find(a->method);
    if (info == nullptr)
      throw UsageError(fmt::format("--method: unknown method '{}' (known: {})", a->method,
                                   fmt::join(MethodRegistry::instance().names(), ", ")));
    const auto explicit_params = parse_sets(*info, a->sets);  // flag mistakes first, before any file is read
    const NpyArray q = read_npy(a->q), k = read_npy(a->k), v = read_npy(a->v);
    const Shape shape = shape_of(q, a->q);
    if (shape_of(k, a->k) != shape) throw UsageError(fmt::format("{}: shape differs from {}", a->k, a->q));
    if (shape_of(v, a->v) != shape) throw UsageError(fmt::format("{}: shape differs from {}", a->v, a->q));
    const Device device = parse_device(a->device, "--device");
    if (a->causal && !info->supports_causal)
      throw UsageError(fmt::format("--causal: method '{}' has no causal variant", info->name));
    check_writable(a->out);

    const CaseShape cs{shape.batch, shape.heads, shape.seq_len, shape.head_dim, a->causal};
    Budget budget;
    if (a->rank > 0) budget.rank = a->rank;
    if (a->sparsity >= 0) budget.sparsity = a->sparsity;
    Realized realized;
    ParamSet params;
    try {
      params = resolve_params(*info, budget, cs, explicit_params, realized);
    } catch (const CaseError& e) {
      throw UsageError(fmt::format("--method {}: {}", info->name, e.what()));
    }
    const int threads = set_threads(a->threads);
    InputTensors in{.shape = shape, .q = q.data, .k = k.data, .v = v.data};
    DeviceTensors io(device, in, threads);
    auto method = info->create({.shape = cs, .params = params, .seed = a->seed, .rng_key = "apply/" + info->name});
    method->prepare(io.context());
    method->forward(io.context(), io.q(), io.k(), io.v(), io.out());
    const std::vector<float> out = io.output_to_host();
    std::vector<int64_t> dims = q.shape;
    write_npy(a->out, out.data(), dims);
    fmt::print("{}: wrote {} ({})\n", info->name, a->out, params.to_json().dump());
    if (a->compare) {
      const Reference ref = compute_reference(in, a->causal, threads);
      const auto e = compare_outputs(out.data(), ref.output.data(), shape.heads_total() * shape.seq_len, shape.head_dim);
      fmt::print("vs exact fp64: rel_fro {:.4g}, max_abs {:.4g}, mean_cos {:.6f} (mean-of-V: rel_fro {:.4g})\n", e.rel_fro,
                 e.max_abs, e.mean_cos, ref.trivial_rel_fro);
    }
    return kExitOk;
  };
}

const CommandRegistration kRegistration{40, add_apply_command};
}  // namespace

}  // namespace attn::cli
