// One input group in this process: the cases that cannot run are recorded from their pre-checks;
// if any case can run, the group's inputs and fp64 reference are made once and every case runs on
// them in order. The in-process sweep and the isolated worker both run groups through here, so the
// two modes measure exactly the same way.
#pragma once

#include <string>
#include <vector>

#include "report/result.hpp"
#include "runner/case_runner.hpp"
#include "spec/spec.hpp"

namespace attn {

struct GroupSettings {
  CaseSettings cases;
  std::string save_inputs_dir;  // when set, the group's Q, K, V go to a folder under it as .npy
};

// Where a group's events go: the sweep's JSONL and progress in-process, the parent's pipe in a worker.
class GroupSink {
 public:
  virtual ~GroupSink() = default;
  virtual void reference_ready(double seconds) {}
  virtual void case_started(const Case& c) {}
  virtual void case_finished(CaseResult r) = 0;
  // Checked before each case: true stops the group there (an interrupt; a worker that wants a fresh
  // process after a CUDA error).
  virtual bool stop_requested() { return false; }
  // Called about once a second while an isolated worker runs (a periodic progress line).
  virtual void tick() {}
};

void run_group(const std::vector<const Case*>& members, const GroupSettings& settings, GroupSink& sink);

// True when at least one member passes its pre-checks (only then are inputs and reference made).
bool group_has_runnable_case(const std::vector<const Case*>& members, const CaseSettings& settings);

// The folder a group's saved inputs go to: "<root>/gaussian_N=512_..." (the id fragment, '/' -> '_').
std::string input_dir(const std::string& root, const InputSpec& input);

}  // namespace attn
