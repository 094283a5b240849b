// The parent side of isolation: one input group runs in a worker process (fork + exec of the
// attnbench binary, see worker_protocol.hpp), so the group's reference is still made once while a
// segfault, abort, exit, kernel OOM kill or hang costs only the case it hit. Such a case is recorded
// as `crash` (with the signal or exit status), `oom` or `timeout`, with the worker's peak RSS from
// wait4, and a fresh worker continues with the group's remaining cases.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runner/group_runner.hpp"

namespace attn {

struct IsolationSettings {
  std::string worker_binary;  // the attnbench executable (it must have the `worker` subcommand)
  nlohmann::json spec;        // the spec as given; the worker re-expands it and finds cases by id
  GroupSettings group;
  double timeout_s = 600;     // per case, and for making a group's inputs and reference
};

// Runs `members` (one input group) in workers, reporting to `sink` (which also gets tick() about
// once a second). Returns false when a stop was requested (InterruptGuard): the running worker is
// killed and its case is left unrecorded, to run again on --resume.
bool run_group_isolated(const std::vector<const Case*>& members, const IsolationSettings& settings, GroupSink& sink);

// The executable of this process (/proc/self/exe), for worker_binary.
std::string this_executable();

}  // namespace attn
