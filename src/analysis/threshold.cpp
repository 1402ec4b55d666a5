#include "ares/analysis/threshold.h"

#include <cstdio>

#include "ares/common/error.h"

namespace ares::analysis {

std::string Threshold::to_string() const {
  char buf[32];
  switch (status) {
    case Status::kBelowGrid:
      std::snprintf(buf, sizeof buf, "<%.1e", ber);
      break;
    case Status::kAboveGrid:
      std::snprintf(buf, sizeof buf, ">=%.1e", ber);
      break;
    default:
      std::snprintf(buf, sizeof buf, "%.2e", ber);
  }
  return buf;
}

Threshold tolerable_ber(const std::vector<double>& bers, const std::vector<double>& mean_errors,
                        double baseline, double pct) {
  ARES_CHECK(!bers.empty() && bers.size() == mean_errors.size(),
             "threshold: need equally many BERs and errors, got ", bers.size(), " and ",
             mean_errors.size());
  for (size_t i = 1; i < bers.size(); ++i) {
    ARES_CHECK(bers[i] > bers[i - 1], "threshold: BERs must ascend");
  }
  double bound = baseline * (1.0 + pct / 100.0);
  Threshold t;
  if (mean_errors[0] > bound) {
    t.status = Threshold::Status::kBelowGrid;
    t.ber = bers[0];
    return t;
  }
  for (size_t k = 1; k < bers.size(); ++k) {
    if (mean_errors[k] > bound) {
      t.ber = bers[k - 1];
      return t;
    }
  }
  t.status = Threshold::Status::kAboveGrid;
  t.ber = bers.back();
  return t;
}

std::vector<Threshold> tolerable_bers(const std::vector<double>& bers,
                                      const std::vector<double>& mean_errors, double baseline,
                                      const std::vector<double>& levels) {
  std::vector<Threshold> out;
  out.reserve(levels.size());
  for (double l : levels) out.push_back(tolerable_ber(bers, mean_errors, baseline, l));
  return out;
}

const char* to_string(Threshold::Status status) {
  switch (status) {
    case Threshold::Status::kBelowGrid:
      return "below_grid";
    case Threshold::Status::kAboveGrid:
      return "above_grid";
    default:
      return "within";
  }
}

Threshold::Status parse_status(const std::string& name) {
  if (name == "within") return Threshold::Status::kWithin;
  if (name == "below_grid") return Threshold::Status::kBelowGrid;
  if (name == "above_grid") return Threshold::Status::kAboveGrid;
  throw InputError("threshold status: expected within, below_grid or above_grid, got '" + name +
                   "'");
}

const std::vector<double>& default_levels() {
  static const std::vector<double> levels = {0.5, 1.0, 5.0, 10.0};
  return levels;
}

}  // namespace ares::analysis
