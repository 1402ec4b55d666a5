#pragma once
/// Running a weight-fault campaign and writing its results.
///
/// Output files (in the campaign's output directory, each written to a temporary name and
/// renamed into place when complete):
///   trials.csv    one row per trial (columns documented in docs/campaign.md)
///   summary.csv   one row per (instance, configuration): baseline and thresholds
///   summary.json  the same plus the spec, seeds, Ares/git/LibTorch versions, timings and
///                 the platform (CPU, BLAS and its kernel, thread counts)

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ares/analysis/interval.h"
#include "ares/analysis/threshold.h"
#include "ares/campaign/spec.h"
#include "ares/common/platform.h"

namespace ares::campaign {

/// One trial's result. Every field but `seconds` is identical for any thread count.
struct TrialRow {
  int instance = 0;
  int config = 0;  ///< index into spec.configs
  int ber_index = 0;
  int trial = 0;
  uint64_t stream = 0;     ///< the trial's RNG stream key
  uint64_t bits = 0;       ///< faultable bits in the target (under a code: data + check bits)
  uint64_t faults = 0;     ///< flipped bits
  int first_stage = -1;    ///< first stage the faults touched (-1: none)
  int64_t errors = 0;      ///< wrong predictions
  int64_t samples = 0;     ///< evaluated samples
  bool evaluated = false;  ///< false: no fault, the baseline was used
  double seconds = 0;      ///< wall time of sampling + injection + evaluation
  /// Outcome classes (models::Outcomes): samples whose prediction the faults changed (silent
  /// corruption), samples with NaN or Inf logits (detectable), and the changed samples that
  /// the clean model got right. The other samples are masked. -1: not recorded (a trial
  /// from a store of schema 1, written before Ares counted outcomes).
  int64_t changed = 0, nonfinite = 0, changed_correct = 0;
  /// Under a code protection (fault/ecc.h), over the codewords a fault hit: those the decoder
  /// corrected (rightly or not), those it detected as uncorrectable, and those not detected
  /// whose decoded data differs from the clean data (three or more errors miscorrected or
  /// looking clean). 0 under bit protections; -1: not recorded (a store of schema < 3).
  int64_t ecc_corrected = 0, ecc_detected = 0, ecc_miscorrected = 0;
  /// The mean over the samples of the negative log-likelihood of their labels under the
  /// faulty model, in nats (models::sample_nll; exp(nll) is the trial's perplexity): +Inf when
  /// a sample's logits are NaN or Inf. NaN: not recorded (a store of schema < 4).
  double nll = std::numeric_limits<double>::quiet_NaN();
};

/// Per (instance, configuration).
struct ConfigSummary {
  int instance = 0;
  int config = 0;
  std::string checkpoint, model, dataset;
  double float_error = 0;     ///< the float model's error
  double baseline_error = 0;  ///< the quantized model's clean error
  uint64_t values = 0, bits = 0;
  std::vector<double> mean_error;  ///< per BER
  /// Per BER, the mean over trials of the outcome classes (TrialRow): changed samples
  /// (silent corruption) and samples with NaN or Inf logits, as shares of the samples, and
  /// changed samples as a share of those the clean model got right (TensorFI's convention).
  /// NaN where a trial did not record them (a schema-1 store).
  std::vector<double> changed_rate, nonfinite_rate, changed_correct_rate;
  /// The clean stored model's mean NLL over the samples (nats; NaN: not recorded). Per BER,
  /// the perplexity of the trials pooled, exp of the mean over trials of TrialRow::nll (next-
  /// token perplexity for a language model; +Inf as soon as one trial had a non-finite
  /// logit), and the median over trials of each trial's perplexity, exp(nll) (finite while
  /// most trials' logits are). NaN where a trial did not record its NLL.
  double baseline_nll = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> perplexity, median_perplexity;
  /// Per BER, the sums over trials of TrialRow's codeword counts (ecc_corrected, ...); -1
  /// where a trial did not record them.
  std::vector<int64_t> ecc_corrected, ecc_detected, ecc_miscorrected;
  std::vector<analysis::Threshold> thresholds;  ///< per spec.levels
  /// 95% interval of each threshold (analysis/interval.h: bootstrap over the trials at each
  /// BER, monotone fit; seeded from the campaign seed, instance and configuration).
  std::vector<analysis::ThresholdInterval> intervals;
  int64_t samples = 0;  ///< test samples per trial
  /// Per level: the bound allows fewer than analysis::kResolutionSamples wrong samples above
  /// the baseline, so the threshold measures the test set's granularity.
  std::vector<bool> below_resolution;
  double smallest_resolved_level = 0;  ///< percent; +Inf for a baseline of 0
  /// With spec.yield > 0, per level: the yield threshold (the last grid BER before the share of
  /// trials above the level's bound first exceeds 1 - yield/100) and its 95% interval.
  std::vector<analysis::Threshold> yield_thresholds;
  std::vector<analysis::ThresholdInterval> yield_intervals;
};

struct CampaignResult {
  CampaignSpec spec;
  std::vector<TrialRow> rows;  ///< ordered by (instance, config, ber_index, trial)
  std::vector<ConfigSummary> summaries;
  /// Wall time of the whole campaign, less the time spent timing clean suffixes for
  /// `floor_seconds` (spec.measure_floor), which a campaign does not otherwise spend.
  double seconds = 0;
  double eval_seconds = 0;  ///< summed wall time of evaluated trials
  int64_t evaluated_trials = 0;
  double clean_forward_seconds = 0;  ///< one clean forward pass over the evaluation set (mean)
  /// With spec.measure_floor: summed clean-suffix time (from each evaluated trial's first
  /// faulty stage) over the evaluated trials; compare with eval_seconds.
  double floor_seconds = 0;
  /// A shard's result: rows outside the shard are empty and nothing is summarized.
  bool partial = false;
  /// Where it ran (campaign::describe_platform): CPU, BLAS kernel, thread counts.
  platform::Record platform;
};

class ResultStore;

/// Runs the campaign. With a store, trials already in it are not run again (their stored rows
/// are used), and every finished trial is committed to it as the campaign goes, so that a
/// killed campaign resumes where it stopped. Throws ares::InputError for bad specs, files,
/// data or stores.
CampaignResult run_campaign(const CampaignSpec& spec, ResultStore* store = nullptr);

/// Fills each summary's mean error per BER and thresholds from `result.rows` and sorts the
/// summaries by (instance, configuration). Every row must be present.
void summarize(CampaignResult& result);

/// A finished campaign rebuilt from its store alone (spec, rows, baselines), summarized.
/// Throws ares::InputError when the store is incomplete.
CampaignResult load_result(const ResultStore& store);

/// Writes trials.csv, summary.csv and summary.json into `dir` (created if needed).
void write_results(const CampaignResult& result, const std::string& dir);

/// The human-readable table printed on stdout.
std::string summary_table(const CampaignResult& result);

}  // namespace ares::campaign
