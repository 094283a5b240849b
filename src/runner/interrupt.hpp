// SIGINT and SIGTERM during a sweep: the first one asks the sweep to stop after the write in
// progress (the case that is running in-process finishes; an isolated worker is stopped and its case
// runs again on --resume), so the report written at the end is valid and marked `interrupted`.
// The handler is one-shot: a second signal acts as usual and ends the process at once (the JSONL
// is still whole). SIGPIPE is ignored meanwhile, so a worker that dies never kills the sweep.
#pragma once

namespace attn {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handlers; nests (only the outermost guard installs)
  ~InterruptGuard();  // restores what was there before
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The signal that asked to stop, or 0.
  static int requested();
  // For tests and for callers that decide to stop for other reasons.
  static void clear();

 private:
  bool installed_ = false;
};

}  // namespace attn
