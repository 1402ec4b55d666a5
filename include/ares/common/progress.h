#pragma once
/// Progress with an ETA on stderr.

#include <chrono>
#include <cstdint>
#include <string>

namespace ares {

/// Prints "label  done/total  pct  elapsed  ETA" to stderr: in place (\r) when stderr is a
/// terminal, otherwise one line at most every 10 s, and always a final line from finish().
/// Thread-compatible: call tick() from one thread.
class Progress {
 public:
  Progress(std::string label, uint64_t total, bool enabled = true);
  /// Marks `n` more units done.
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

/// "12.3s", "4m05s", "1h02m".
std::string format_seconds(double seconds);

}  // namespace ares
