#pragma once
/// Progress with an ETA on stderr.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace ares {

/// Prints "label  done/total  pct  elapsed  ETA" to stderr: in place (\r) when stderr is a
/// terminal, otherwise one line at most every 10 s, and always a final line from finish().
/// Thread-compatible: call tick() from one thread.
class Progress {
 public:
  Progress(std::string label, uint64_t total, bool enabled = true);
  /// Marks `n` more units done, then polls for an interrupt (poll_interrupt), which may throw.
  void tick(uint64_t n = 1);
  /// Prints the final line (once).
  void finish();
  ~Progress();
  /// Seconds since construction.
  double elapsed() const;

 private:
  void print(bool final_line);
  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

/// Stopping long work from outside. Every Progress::tick (on the thread that ticks: the loop's
/// calling thread) calls the current thread's interrupt poll, which stops the work by
/// throwing; the loop lets the exception through after keeping what it finished (a campaign
/// commits its finished trials to the store first, so a rerun resumes). The Python API polls
/// for Ctrl-C this way (KeyboardInterrupt). While a ScopedInterruptPoll lives, `poll` is this
/// thread's poll; the previous one comes back when it ends.
class ScopedInterruptPoll {
 public:
  explicit ScopedInterruptPoll(std::function<void()> poll);
  ~ScopedInterruptPoll();
  ScopedInterruptPoll(const ScopedInterruptPoll&) = delete;
  ScopedInterruptPoll& operator=(const ScopedInterruptPoll&) = delete;

 private:
  std::function<void()> previous_;
};

/// Calls this thread's interrupt poll, if any (Progress::tick does).
void poll_interrupt();

/// "12.3s", "4m05s", "1h02m".
std::string format_seconds(double seconds);

}  // namespace ares
