// The isolated worker's protocol. The parent starts `attnbench worker --events-fd 3` with a request
// (JSON) on stdin: the spec as given, the ids of one input group's cases still to run, and the
// settings. The worker answers with one JSON object per line on fd 3:
//   {"event": "ready", "seconds": s}           inputs and reference made (s: reference time)
//   {"event": "start", "case_id": id}          a case begins (its time limit starts now)
//   {"event": "result", "result": {...}}       a case's result, in the report's JSON form
// It exits 0 when it stops, with or without cases left (it stops early after a CUDA error so the
// next case gets a fresh device context). A worker that dies mid-case leaves that case to the
// parent, which records `crash`, `oom` or `timeout` and starts a new worker for the rest.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runner/group_runner.hpp"

namespace attn {

struct WorkerRequest {
  nlohmann::json spec;                // the spec as given (re-parsed and re-expanded by the worker)
  std::vector<std::string> case_ids;  // one input group's cases, in order
  GroupSettings settings;
};

nlohmann::json to_json(const WorkerRequest& r);
WorkerRequest worker_request_from_json(const nlohmann::json& j);  // UsageError on a malformed request

// Reads the request from stdin, runs it, writes events to `events_fd`. Returns the exit code.
int run_worker(int events_fd);

}  // namespace attn
