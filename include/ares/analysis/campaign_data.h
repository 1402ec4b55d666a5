#pragma once
/// A finished campaign read back from its output directory (trials.csv, summary.csv and, when
/// present, summary.json), without LibTorch. Columns are found by name, so files with extra
/// columns read the same; see docs/campaign.md for what each column means.

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ares/analysis/json.h"

namespace ares::analysis {

/// One row of trials.csv (the fields the analysis uses).
struct TrialRecord {
  int instance = 0;
  std::string format, protection;
  std::string site = "weights";  ///< "weights" when the file has no site column
  int ber_index = 0;
  double ber = 0;
  int trial = 0;
  int64_t errors = 0, samples = 0;
  double error = 0;  ///< errors / samples
  uint64_t faults = 0;
  /// Outcome classes (trials.csv `changed`, `nonfinite`); -1 when the file has none.
  int64_t changed = -1, nonfinite = -1;
  /// The trial's mean NLL of the labels in nats (trials.csv `nll`, >= 0; +Inf for
  /// non-finite logits); NaN when the file has none.
  double nll = std::numeric_limits<double>::quiet_NaN();
};

/// One row of summary.csv: an (instance, configuration)'s identity and clean errors.
struct SummaryRecord {
  int instance = 0;
  std::string checkpoint, model, dataset, format, protection;
  std::string site = "weights";
  uint64_t values = 0, bits = 0;
  double float_error = 0;     ///< float model's error (NaN when the file lacks the column)
  double baseline_error = 0;  ///< the quantized model's clean error
};

/// A campaign's outputs.
struct CampaignData {
  std::string dir;
  std::vector<TrialRecord> trials;
  std::vector<SummaryRecord> summaries;
  /// Parameter globs the campaign targeted (summary.json "targets"; {"*"} without it).
  std::vector<std::string> targets = {"*"};
  /// Degradation levels of the campaign (summary.json "levels_pct", else the ber_at_Xpct
  /// columns of summary.csv).
  std::vector<double> levels;
  /// summary.json's top-level scalars (ares_version, git_revision, libtorch_version, seed,
  /// trials, semantics, engine, ...) in file order, as text; empty without summary.json.
  std::vector<std::pair<std::string, std::string>> settings;
  /// summary.json as parsed (kNull without it).
  JsonValue json;

  /// The value of setting `key`, or `fallback`.
  std::string setting(const std::string& key, const std::string& fallback = "") const;
  /// The targets joined with ',' ("*", "fc1.*").
  std::string targets_label() const;
};

/// Reads DIR/trials.csv, DIR/summary.csv and DIR/summary.json (optional). Throws
/// ares::InputError naming the file and line when a file is missing, malformed or
/// inconsistent (a trial whose (instance, format, protection) has no summary row, BERs that
/// differ between trials of one BER index, an instance with a missing trial).
CampaignData load_campaign(const std::string& dir);

}  // namespace ares::analysis
