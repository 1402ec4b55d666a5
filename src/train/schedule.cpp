#include "ares/train/schedule.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ares/common/error.h"

namespace ares::train {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr const char* kExpected = "expected constant, cosine or step:EVERY:GAMMA";

bool parse_number(const std::string& text, double* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end == nullptr || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

Schedule Schedule::parse(const std::string& text) {
  Schedule s;
  if (text == "constant") return s;
  if (text == "cosine") {
    s.kind = Kind::kCosine;
    return s;
  }
  const std::string where = "--schedule '" + text + "': ";
  ARES_CHECK(text.rfind("step:", 0) == 0, where, kExpected);
  const std::string rest = text.substr(5);
  const size_t colon = rest.find(':');
  ARES_CHECK(colon != std::string::npos, where, kExpected);
  const std::string every = rest.substr(0, colon), gamma = rest.substr(colon + 1);
  double e = 0;
  ARES_CHECK(parse_number(every, &e) && e >= 1 && e <= 1e6 && e == std::floor(e), where,
             "EVERY must be an integer >= 1 (epochs), got '", every, "'");
  s.kind = Kind::kStep;
  s.every = int(e);
  ARES_CHECK(parse_number(gamma, &s.gamma) && std::isfinite(s.gamma) && s.gamma > 0, where,
             "GAMMA must be a number > 0, got '", gamma, "'");
  return s;
}

std::string Schedule::spec() const {
  switch (kind) {
    case Kind::kConstant:
      return "constant";
    case Kind::kCosine:
      return "cosine";
    case Kind::kStep:
      break;
  }
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {  // the shortest that reads back
    std::snprintf(buf, sizeof buf, "%.*g", precision, gamma);
    if (std::strtod(buf, nullptr) == gamma) break;
  }
  return "step:" + std::to_string(every) + ":" + buf;
}

double learning_rate_at(const TrainOptions& o, int epoch, int64_t step_in_epoch,
                        int64_t steps_per_epoch) {
  const Schedule s = Schedule::parse(o.schedule_);
  const double lr = o.learning_rate_;
  const int64_t step = int64_t(epoch) * steps_per_epoch + step_in_epoch;
  const int64_t warmup = int64_t(o.warmup_epochs_) * steps_per_epoch;
  if (step < warmup) return lr * double(step + 1) / double(warmup);
  switch (s.kind) {
    case Schedule::Kind::kConstant:
      return lr;
    case Schedule::Kind::kStep:
      return lr * std::pow(s.gamma, double(epoch / s.every));
    case Schedule::Kind::kCosine: {
      const int64_t total = int64_t(o.epochs_) * steps_per_epoch;
      const double done = double(step - warmup) / double(std::max<int64_t>(1, total - warmup));
      return lr * 0.5 * (1 + std::cos(kPi * done));
    }
  }
  return lr;
}

}  // namespace ares::train
