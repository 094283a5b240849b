#include "runner/isolated_group.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "core/error.hpp"
#include "runner/interrupt.hpp"
#include "runner/worker_protocol.hpp"

namespace attn {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kExecFailed = 127;
constexpr int kWorkerUsage = 2;

struct Worker {
  pid_t pid = -1;
  int events_fd = -1;
};

// The system-wide count of OOM kills (/proc/vmstat), to tell the kernel's OOM killer from other SIGKILLs.
int64_t oom_kill_count() {
  std::ifstream f("/proc/vmstat");
  std::string key;
  int64_t value = 0;
  while (f >> key >> value)
    if (key == "oom_kill") return value;
  return -1;
}

// The request goes through an anonymous in-memory file on the worker's stdin: no temp file to clean
// up, and no pipe that could block or raise SIGPIPE if the worker dies before reading it.
int request_fd(const std::string& text) {
  const int fd = ::memfd_create("attnbench-worker-request", MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error(fmt::format("memfd_create: {}", std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error(fmt::format("writing the worker request: {}", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

Worker spawn_worker(const std::string& binary, const std::string& request) {
  const int in_fd = request_fd(request);
  int events[2];
  if (::pipe2(events, O_CLOEXEC) != 0) {
    ::close(in_fd);
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  }
  std::vector<std::string> args = {binary, "worker", "--events-fd", "3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(in_fd);
    ::close(events[0]);
    ::close(events[1]);
    throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only until exec. Its own process group keeps a terminal's
    // Ctrl-C with the parent (which decides); PDEATHSIG takes the worker down with a killed parent.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(kExecFailed);
    if (::dup2(in_fd, 0) < 0 || ::dup2(events[1], 3) < 0) ::_exit(kExecFailed);
    ::syscall(SYS_close_range, 4u, ~0u, 0u);  // e.g. the sweep's open JSONL
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(kExecFailed);
  }
  ::setpgid(pid, pid);  // also from the parent, so the group exists before any kill(-pid)
  ::close(in_fd);
  ::close(events[1]);
  return {pid, events[0]};
}

struct Exit {
  int status = 0;
  int64_t peak_rss_bytes = 0;
};

Exit reap(const Worker& w) {
  Exit e;
  struct rusage ru {};
  while (::wait4(w.pid, &e.status, 0, &ru) < 0 && errno == EINTR) {
  }
  ::kill(-w.pid, SIGKILL);  // anything the worker started and left behind
  ::close(w.events_fd);
  e.peak_rss_bytes = static_cast<int64_t>(ru.ru_maxrss) * 1024;
  return e;
}

std::string signal_text(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? fmt::format("signal {} (SIG{})", sig, abbrev) : fmt::format("signal {}", sig);
}

// The status and reason of a case whose worker ended while running it.
std::pair<std::string, std::string> death_status(const Exit& e, bool oom_killer_ran) {
  if (WIFSIGNALED(e.status)) {
    const int sig = WTERMSIG(e.status);
    if (sig == SIGKILL && oom_killer_ran)
      return {"oom", fmt::format("killed by the kernel's out-of-memory killer (SIGKILL; worker peak RSS {:.1f} MiB)",
                                 e.peak_rss_bytes / 1048576.0)};
    return {"crash", fmt::format("the process was killed by {}", signal_text(sig))};
  }
  return {"crash", fmt::format("the process exited with status {} during the case", WEXITSTATUS(e.status))};
}

class EventReader {
 public:
  // Appends what is readable; false at end of file.
  bool read_more(int fd) {
    char chunk[65536];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  // The next complete line, parsed; nullopt when none is complete yet.
  std::optional<nlohmann::json> next() {
    const auto nl = buffer_.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    nlohmann::json j = nlohmann::json::parse(buffer_.substr(0, nl), nullptr, false);
    buffer_.erase(0, nl + 1);
    if (j.is_discarded() || !j.is_object() || !j.contains("event"))
      throw std::runtime_error("the worker sent a malformed event");
    return j;
  }

 private:
  std::string buffer_;
};

CaseResult failed_result(const Case& c, int threads, const std::string& status, const std::string& reason,
                         std::optional<int64_t> peak_rss) {
  CaseResult r = describe_case(c, threads);
  r.status = status;
  r.reason = reason;
  r.peak_rss_bytes = peak_rss;
  return r;
}

}  // namespace

std::string this_executable() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error(fmt::format("cannot find this executable (/proc/self/exe: {})", ec.message()));
  return p.string();
}

bool run_group_isolated(const std::vector<const Case*>& members, const IsolationSettings& settings, GroupSink& sink) {
  const int threads = settings.group.cases.threads;
  const auto limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(settings.timeout_s));
  std::deque<const Case*> pending(members.begin(), members.end());
  auto record = [&](const Case& c, CaseResult r) {
    for (auto it = pending.begin(); it != pending.end(); ++it)
      if ((*it)->id == c.id) {
        pending.erase(it);
        break;
      }
    sink.case_finished(std::move(r));
  };

  while (!pending.empty()) {
    if (InterruptGuard::requested()) return false;
    WorkerRequest request{.spec = settings.spec, .case_ids = {}, .settings = settings.group};
    for (const Case* c : pending) request.case_ids.push_back(c->id);
    const int64_t oom_before = oom_kill_count();
    const Worker worker = spawn_worker(settings.worker_binary, to_json(request).dump());

    EventReader events;
    const Case* current = nullptr;
    bool ready = false, progressed = false, timed_out = false;
    auto deadline = Clock::now() + limit;
    try {
      while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        struct pollfd pfd {worker.events_fd, POLLIN, 0};
        const int n = left <= 0 ? 0 : ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
        if (InterruptGuard::requested()) {
          ::kill(-worker.pid, SIGKILL);
          reap(worker);
          return false;
        }
        if (n == 0) {
          if (Clock::now() >= deadline) {
            timed_out = true;
            ::kill(-worker.pid, SIGKILL);
            break;
          }
          sink.tick();
          continue;
        }
        if (n < 0) continue;  // EINTR
        if (!events.read_more(worker.events_fd)) break;
        while (auto e = events.next()) {
          const std::string kind = e->value("event", "");
          if (kind == "ready") {
            ready = true;
            sink.reference_ready(e->value("seconds", 0.0));
          } else if (kind == "start") {
            const std::string id = e->value("case_id", "");
            current = nullptr;
            for (const Case* c : pending)
              if (c->id == id) current = c;
            if (current == nullptr) throw std::runtime_error(fmt::format("the worker started an unknown case '{}'", id));
            sink.case_started(*current);
          } else if (kind == "result") {
            CaseResult r = case_result_from_json(e->at("result"));
            const Case* c = current;
            for (const Case* p : pending)
              if (p->id == r.case_id) c = p;
            if (c == nullptr || c->id != r.case_id)
              throw std::runtime_error(fmt::format("the worker sent a result for an unknown case '{}'", r.case_id));
            record(*c, std::move(r));
            current = nullptr;
            progressed = true;
          }
          deadline = Clock::now() + limit;  // the limit is per case (and for the reference)
        }
      }
    } catch (const std::exception& e) {
      // A protocol error is a bug, not a case's fault: stop this worker and say why.
      ::kill(-worker.pid, SIGKILL);
      reap(worker);
      throw std::runtime_error(fmt::format("isolated worker: {}", e.what()));
    }
    const Exit exit = reap(worker);
    const bool clean = WIFEXITED(exit.status) && WEXITSTATUS(exit.status) == 0;
    if (timed_out) {
      const std::string why = fmt::format("no result within the time limit of {:g} s (timeout_s); the process was killed",
                                          settings.timeout_s);
      if (current != nullptr) {
        record(*current, failed_result(*current, threads, "timeout", why, exit.peak_rss_bytes));
      } else if (!ready) {
        // The inputs or the reference hung: every case of the group waited on them.
        const auto all = pending;
        for (const Case* c : all)
          record(*c, failed_result(*c, threads, "timeout", "making the inputs and reference: " + why, std::nullopt));
      } else {
        record(*pending.front(), failed_result(*pending.front(), threads, "timeout", why, std::nullopt));
      }
      continue;
    }
    if (clean && pending.empty()) break;
    if (current != nullptr) {
      const auto [status, reason] = death_status(exit, oom_kill_count() > oom_before && oom_before >= 0);
      record(*current, failed_result(*current, threads, status, reason, exit.peak_rss_bytes));
      continue;
    }
    if (progressed && clean) continue;  // the worker stopped early on purpose (after a CUDA error)
    if (progressed) continue;           // it died between cases: the next one gets a new worker
    // It died before running anything: starting it again would fail the same way.
    std::string why;
    if (WIFEXITED(exit.status) && WEXITSTATUS(exit.status) == kExecFailed)
      why = fmt::format("cannot start the worker process ({})", settings.worker_binary);
    else if (WIFEXITED(exit.status) && WEXITSTATUS(exit.status) == kWorkerUsage)
      why = "the worker rejected its request (see the message above)";
    else
      why = ready ? death_status(exit, false).second
                  : "making the inputs and reference: " + death_status(exit, false).second;
    const auto all = pending;
    for (const Case* c : all) record(*c, failed_result(*c, threads, "crash", why, exit.peak_rss_bytes));
  }
  return true;
}

}  // namespace attn
