#pragma once
/// The multi-instance study: train N instances that differ only in their seed, run one
/// campaign over all of them (and per layer, per bit), write the report. The library call
/// behind `ares study`; `report_campaigns` is the one behind `ares report`.
///
/// Example:
///   campaign::StudyOptions study;
///   study.model = "mnist_fc";
///   study.instances = 5;
///   study.training.epochs(1);
///   study.campaign.configs = {{"q2.6-2c", "none"}, {"q2.6-sm", "none"}};
///   study.out = "runs/my-study";
///   auto result = campaign::run_study(study);  // result.report.files.html: the page

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ares/analysis/aggregate.h"
#include "ares/analysis/report.h"
#include "ares/campaign/instance.h"
#include "ares/campaign/spec.h"
#include "ares/train/train.h"

namespace ares::campaign {

/// A report over campaign directories, and the analysis it was drawn from.
struct CampaignReport {
  analysis::Analysis analysis;
  analysis::ReportResult files;
};

/// Reads and analyses every campaign in `dirs` (throwing ares::InputError before anything is
/// written), adds each checkpoint's metadata to the options (a checkpoint that moved or is
/// unreadable is not described) and writes the report into `out`. `levels` empty: the first
/// campaign's.
CampaignReport report_campaigns(const std::vector<std::string>& dirs, const std::string& out,
                                const std::vector<double>& levels, analysis::ReportOptions options);

/// The per-bit campaign of `spec`: for each distinct format, one configuration per bit with
/// every other bit protected ("mask:0x..."), most significant bit first.
CampaignSpec per_bit_spec(const CampaignSpec& spec);

struct StudyOptions {
  std::string model;                      ///< zoo model
  std::string dataset = "fashion-mnist";  ///< training and evaluation data
  int instances = 20;
  uint64_t seed = 1;  ///< training seed of the first instance: seeds seed..seed+instances-1
  /// Epochs, batch, learning rate, the recipe (optimizer, momentum, weight decay, schedule,
  /// warm-up, augmentation), limit, progress; the seed is set per instance.
  train::TrainOptions training;
  int threads = 1;  ///< recorded in the checkpoints (the caller sets the compute threads)
  /// The campaign; its checkpoints are the study's (set by run_study).
  CampaignSpec campaign;
  bool per_layer = false;  ///< also one campaign per stage (targets STAGE.*)
  bool per_bit = false;    ///< also the per-bit campaign (per_bit_spec)
  std::string out;         ///< study directory: checkpoints/, campaign/, layers/, bits/, report/
  bool report = true;      ///< write OUT/report
  analysis::ReportOptions report_options;
  bool progress = true;  ///< progress and one line per step on stderr
  /// Called after each instance trained (not for reused ones), e.g. to print describe().
  std::function<void(const TrainedInstance&)> on_trained;
};

struct StudyResult {
  std::vector<std::string> checkpoints;  ///< OUT/checkpoints/MODEL-sSEED.ckpt, by seed
  /// Seeds whose training ended with NaN or Inf parameters. Not empty: no campaign was run
  /// (the other checkpoints are kept) and nothing below is filled.
  std::vector<uint64_t> diverged;
  std::vector<std::string> campaigns;  ///< campaign directories, the main one first
  CampaignReport report;               ///< with options.report
};

/// The checkpoints' paths of a study: OUT/checkpoints/MODEL-sSEED.ckpt.
std::vector<std::string> study_checkpoints(const StudyOptions& options);

/// True when checkpoint metadata `meta` says it was trained on `dataset` for `seed` with
/// `training`'s epochs, batch, learning rate, limit and recipe (train::recipe_metadata; a
/// checkpoint without the recipe keys, written before they were recorded, counts as the
/// defaults): the checkpoints run_study reuses.
bool trained_as(const models::Metadata& meta, const std::string& dataset,
                const train::TrainOptions& training, uint64_t seed);

/// Runs the study. Checkpoints already in OUT/checkpoints with the same dataset, seed and
/// training settings (trained_as) are reused, others retrained; the campaigns resume from their
/// stores (campaign.db). Throws ares::InputError for a bad model name, spec, recipe or directory
/// before training anything.
StudyResult run_study(StudyOptions options);

}  // namespace ares::campaign
