#include "runner/interrupt.hpp"

#include <csignal>

namespace attn {

namespace {
volatile std::sig_atomic_t g_signal = 0;
int g_depth = 0;
struct sigaction g_old_int, g_old_term, g_old_pipe;

extern "C" void on_stop_signal(int sig) { g_signal = sig; }
}  // namespace

InterruptGuard::InterruptGuard() {
  if (g_depth++ > 0) return;
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  // No SA_RESTART: a parent blocked in poll() wakes up at once. SA_RESETHAND: the second signal
  // takes the default action.
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &g_old_pipe);
  installed_ = true;
}

InterruptGuard::~InterruptGuard() {
  --g_depth;
  if (!installed_) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  sigaction(SIGPIPE, &g_old_pipe, nullptr);
}

int InterruptGuard::requested() { return static_cast<int>(g_signal); }
void InterruptGuard::clear() { g_signal = 0; }

}  // namespace attn
