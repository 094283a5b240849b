#include "runner/group_runner.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>

#include "inputs/distributions.hpp"
#include "runner/fault_injection.hpp"
#include "runner/reference.hpp"

namespace attn {

std::string input_dir(const std::string& root, const InputSpec& input) {
  std::string name = input.id_fragment();
  for (char& ch : name)
    if (ch == '/') ch = '_';
  return (std::filesystem::path(root) / name).string();
}

bool group_has_runnable_case(const std::vector<const Case*>& members, const CaseSettings& settings) {
  for (const Case* c : members)
    if (!precheck(*c, settings)) return true;
  return false;
}

void run_group(const std::vector<const Case*>& members, const GroupSettings& settings, GroupSink& sink) {
  const int threads = settings.cases.threads;
  // A group where nothing can run (over the budget, unsupported) never makes its inputs: the
  // reference of an input too large for this machine must not be the thing that takes it down.
  if (!group_has_runnable_case(members, settings.cases)) {
    for (const Case* c : members) {
      if (sink.stop_requested()) return;
      sink.case_started(*c);
      sink.case_finished(run_case(*c, {}, {}, settings.cases));  // answered by the pre-checks
    }
    return;
  }
  const InputSpec& input = members.front()->input;
  InputTensors tensors;
  Reference reference;
  try {
    inject_fault("reference/" + input.id_fragment());
    tensors = make_inputs(input);
    if (!settings.save_inputs_dir.empty()) save_inputs(tensors, input_dir(settings.save_inputs_dir, input));
    // A group with GPU cases computes its large references on the GPU (fused kernels, CPU-checked).
    const bool on_device =
        std::any_of(members.begin(), members.end(), [](const Case* c) { return c->device == Device::cuda; });
    reference = compute_reference(tensors, input.causal, threads, on_device, input.dtype);
  } catch (const std::exception& e) {
    // The group's inputs cannot be made (e.g. a .npy went missing mid-sweep): its cases record the
    // reason and the other groups still run.
    for (const Case* c : members) {
      CaseResult r = describe_case(*c, threads);
      if (const auto why = precheck(*c, settings.cases)) {
        r.status = why->status;
        r.reason = why->reason;
      } else {
        r.status = "error";
        r.reason = fmt::format("inputs: {}", e.what());
      }
      sink.case_finished(std::move(r));
    }
    return;
  }
  sink.reference_ready(reference.seconds);
  for (const Case* c : members) {
    if (sink.stop_requested()) return;
    sink.case_started(*c);
    sink.case_finished(run_case(*c, tensors, reference, settings.cases));
  }
}

}  // namespace attn
