// The worker side of isolation (see worker_protocol.hpp).
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/threads.hpp"
#include "runner/worker_protocol.hpp"

namespace attn {

namespace {

// One event, one write(): the parent reads whole lines, and a worker killed mid-write leaves at most
// an unterminated fragment, which the parent ignores.
void write_event(int fd, const nlohmann::json& event) {
  const std::string line = event.dump() + "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::_Exit(4);  // the parent is gone: nothing left to report to
    done += static_cast<size_t>(n);
  }
}

class WorkerSink : public GroupSink {
 public:
  explicit WorkerSink(int fd) : fd_(fd) {}
  void reference_ready(double seconds) override { write_event(fd_, {{"event", "ready"}, {"seconds", seconds}}); }
  void case_started(const Case& c) override { write_event(fd_, {{"event", "start"}, {"case_id", c.id}}); }
  void case_finished(CaseResult r) override {
    // A failed CUDA case may leave the context broken (sticky errors): the rest get a new process.
    if (r.device == Device::cuda && (r.status == "error" || r.status == "oom")) stop_ = true;
    write_event(fd_, {{"event", "result"}, {"result", to_json(r)}});
  }
  bool stop_requested() override { return stop_; }

 private:
  int fd_;
  bool stop_ = false;
};

}  // namespace

nlohmann::json to_json(const WorkerRequest& r) {
  const CaseSettings& c = r.settings.cases;
  return {{"spec", r.spec},
          {"case_ids", r.case_ids},
          {"repetitions", c.repetitions},
          {"warmup", c.warmup},
          {"threads", c.threads},
          {"memory_budget_bytes", c.memory_budget.host_bytes},
          {"device_memory_budget_bytes", c.memory_budget.device_bytes},
          {"attn_metrics_max_n", c.attn_metrics_max_n},
          {"cold_l2", c.cold_l2},
          {"save_inputs_dir", r.settings.save_inputs_dir}};
}

WorkerRequest worker_request_from_json(const nlohmann::json& j) {
  try {
    WorkerRequest r;
    r.spec = j.at("spec");
    r.case_ids = j.at("case_ids").get<std::vector<std::string>>();
    CaseSettings& c = r.settings.cases;
    c.repetitions = j.at("repetitions").get<int>();
    c.warmup = j.at("warmup").get<int>();
    c.threads = j.at("threads").get<int>();
    c.memory_budget.host_bytes = j.at("memory_budget_bytes").get<double>();
    c.memory_budget.device_bytes = j.at("device_memory_budget_bytes").get<double>();
    c.attn_metrics_max_n = j.at("attn_metrics_max_n").get<int64_t>();
    c.cold_l2 = j.at("cold_l2").get<bool>();
    r.settings.save_inputs_dir = j.at("save_inputs_dir").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("worker request: {}", e.what()));
  }
}

int run_worker(int events_fd) {
  const std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw UsageError("worker request: not valid JSON");
  WorkerRequest request = worker_request_from_json(j);
  const Spec spec = parse_spec(request.spec, "worker request");
  std::map<std::string, const Case*> by_id;
  for (const auto& c : spec.cases) by_id[c.id] = &c;
  std::vector<const Case*> members;
  for (const auto& id : request.case_ids) {
    const auto it = by_id.find(id);
    if (it == by_id.end()) throw UsageError(fmt::format("worker request: no case '{}' in the spec", id));
    members.push_back(it->second);
  }
  request.settings.cases.threads = set_threads(request.settings.cases.threads);
  WorkerSink sink(events_fd);
  run_group(members, request.settings, sink);
  return 0;
}

}  // namespace attn
