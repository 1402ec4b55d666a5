#include "ares/common/progress.h"

#include <unistd.h>

#include <cstdio>

namespace ares {
namespace {
thread_local std::function<void()> interrupt_poll;
}  // namespace

ScopedInterruptPoll::ScopedInterruptPoll(std::function<void()> poll)
    : previous_(std::move(interrupt_poll)) {
  interrupt_poll = std::move(poll);
}

ScopedInterruptPoll::~ScopedInterruptPoll() { interrupt_poll = std::move(previous_); }

void poll_interrupt() {
  if (interrupt_poll) interrupt_poll();
}

std::string format_seconds(double s) {
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  }
  return buf;
}

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  if (!finished_ && enabled_ && tty_ && done_ > 0) std::fputc('\n', stderr);
}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::tick(uint64_t n) {
  done_ += n;
  poll_interrupt();
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_print_).count();
  if (since >= (tty_ ? 0.2 : 10.0)) {
    last_print_ = now;
    print(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) print(true);
}

void Progress::print(bool final_line) {
  double el = elapsed();
  double frac = total_ ? double(done_) / double(total_) : 1.0;
  std::string eta = done_ > 0 && frac < 1 ? format_seconds(el / frac - el) : "-";
  if (final_line) {
    std::fprintf(stderr, "%s%s: %llu/%llu done in %s\n", tty_ ? "\r\033[K" : "", label_.c_str(),
                 (unsigned long long)done_, (unsigned long long)total_, format_seconds(el).c_str());
  } else {
    std::fprintf(stderr, "%s%s: %llu/%llu (%.0f%%) elapsed %s, ETA %s%s", tty_ ? "\r\033[K" : "",
                 label_.c_str(), (unsigned long long)done_, (unsigned long long)total_,
                 100.0 * frac, format_seconds(el).c_str(), eta.c_str(), tty_ ? "" : "\n");
  }
  std::fflush(stderr);
}

}  // namespace ares
