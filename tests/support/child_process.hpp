// Runs a piece of a test in a forked child and returns the one line it reports. GPU tests need it
// twice over: a method that reads device memory on the host crashes (SIGSEGV) and must fail one
// case, not the binary; and CUDA is not fork-safe once initialized, so the parent never touches
// CUDA (or OpenMP) and every child starts it fresh. Header-only, like cuda_testing.hpp.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

namespace attn::test {

// `fn` returns the line; the child exits without running the parent's destructors. A child that
// died reports "crash: signal N" (or "timeout" after `timeout_s`).
template <class Fn>
std::string in_child(Fn fn, unsigned timeout_s = 300) {
  int fds[2];
  if (pipe(fds) != 0) return "error: pipe failed";
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return "error: fork failed";
  if (pid == 0) {
    close(fds[0]);
    alarm(timeout_s);
    std::string line;
    try {
      line = fn();
    } catch (const std::exception& e) {
      line = std::string("error: uncaught ") + e.what();
    }
    line += "\n";
    const ssize_t written = write(fds[1], line.data(), line.size());
    (void)written;
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t got = 0;
  while ((got = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<std::size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return sig == SIGALRM ? "timeout"
                          : "crash: signal " + std::to_string(sig) +
                                (sig == SIGSEGV ? " (host access to device memory?)" : "");
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace attn::test
