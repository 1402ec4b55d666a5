#pragma once
/// Fault sites: where a campaign's faults land, and what differs between those places.
///
/// A site owns, for one model whose site values are stored in one format:
///   - what is faultable: the values (weights: the target parameters' codes; a stage's output
///     or a GRU's hidden state: every evaluated sample's stored values) and the clean baseline;
///   - how one trial goes: draw the trial's fault::FaultPlan from its stream (one plan over the
///     targets, or one per sample), apply it, evaluate, undo it.
/// run_campaign (campaign.cpp) builds one Site per (instance, format) and hands each worker
/// thread its own SiteTrials. To add a site: a SiteRef kind (spec_types.h), a Site subclass
/// in site.cpp, and a case in make_site and resolve_site_stage.
///
/// Example (one trial by hand, as the campaign does it):
///   int stage = resolve_site_stage(spec.site, model);
///   auto site = make_site(spec, stage, model, fmt, images, labels, torch::kCPU);
///   auto trials = site->make_trials();
///   TrialRow row;
///   row.stream = fault::stream_key(spec.seed, {0, 0, 0, 0});
///   trials->run({0, 1e-5, fmt.code_mask(), fmt.code_mask()}, row);  // row.errors, row.faults

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ares/campaign/campaign.h"
#include "ares/campaign/spec.h"
#include "ares/fault/ecc.h"
#include "ares/format/format.h"
#include "ares/models/staged_model.h"

namespace ares::campaign {

/// One trial to run: the row it fills and what its plan is drawn with.
struct TrialJob {
  size_t row = 0;            ///< index into CampaignResult::rows
  double ber = 0;            ///< the rate (per bit or per value, as the fault model says)
  uint32_t mask = 0;         ///< faultable bits: the selected bits the protection leaves
  uint32_t sample_mask = 0;  ///< paired encodings: the bits drawn over (mask among them)
  /// A code protection (weight site only): the code and what a detected error does; the
  /// BER then applies to every data and check bit of its codewords. Null otherwise.
  std::shared_ptr<const fault::BlockCode> code;
  fault::EccAction action = fault::EccAction::kKeep;
};

/// Runs trials on one worker thread, on that thread's own model copy. Not thread-safe.
class SiteTrials {
 public:
  virtual ~SiteTrials() = default;
  /// Draws the trial's plan from `row.stream`, applies it, evaluates the model and undoes the
  /// plan. Fills row.faults (the hits drawn), row.errors, row.evaluated (false when the plan
  /// changed nothing and the baseline stood), row.first_stage (-1 when not evaluated), the
  /// outcomes (row.changed, ...), row.nll and, under a code, row.ecc_* (the decoder's
  /// outcomes).
  virtual void run(const TrialJob& job, TrialRow& row) = 0;
};

/// A fault site of one model, its site values stored in one format.
class Site {
 public:
  virtual ~Site() = default;
  /// The faultable values (a configuration's faultable bits are these x its mask's bits).
  virtual uint64_t values() const = 0;
  /// Wrong predictions of the clean stored model over the evaluation set, and its size.
  virtual int64_t baseline_errors() const = 0;
  virtual int64_t samples() const = 0;
  /// The clean stored model's negative log-likelihood of the labels, summed over the samples
  /// (models::sample_nll).
  virtual double baseline_nll() const = 0;
  /// A trial runner for one worker thread (safe to call from several threads at once).
  virtual std::unique_ptr<SiteTrials> make_trials() const = 0;
  /// Whether building the site timed one clean forward pass, and its seconds.
  /// The stored bits of a scaled format's metadata words (scales, zero points); 0 otherwise.
  virtual uint64_t metadata_bits() const { return 0; }
  virtual bool timed_clean_pass() const { return false; }
  virtual double clean_forward_seconds() const { return 0; }
  /// With spec.measure_floor (weights only): the clean pass's seconds from `first_stage` to
  /// the logits (the floor of a trial that starts there), and the time spent measuring them.
  virtual double floor_seconds(int /*first_stage*/) const { return 0; }
  virtual double timing_seconds() const { return 0; }
};

/// resolve_site_stage's answer for an activation site at a graph site of a TorchScript model
/// (models/script_sites.h): a submodule or op output that is not a stage's output.
constexpr int kGraphSite = -2;

/// The stage of `site` in `model`, by name or index; -1 for the weight site; kGraphSite for an
/// activation site that names no stage before the last but a submodule or op output of a
/// TorchScript model (stage names come first). Throws ares::InputError naming the site and the
/// model's stages (and a TorchScript model's nearest graph sites) when there is no such stage
/// or value, when an activation site names the last stage (its output is the logits), or when
/// a hidden-state site's stage is not a GRU.
int resolve_site_stage(const SiteRef& site, const models::StagedModel& model);

/// The stream of chip `chip` (CampaignSpec::chips): the seed and the chip's index only, so a
/// chip is the same for every instance, format, protection and BER.
uint64_t chip_stream(uint64_t seed, size_t chip);

/// One fault site of a model as `--site` names it (`ares sites`).
struct SiteListing {
  std::string site;       ///< "weights", "act:fc1", "hidden:gru"
  std::string parameter;  ///< weights: one parameter's name (one entry per parameter)
  std::vector<int64_t>
      shape;           ///< the parameter's shape, or one sample's (act, hidden: steps x width)
  int64_t values = 0;  ///< in the parameter, or per sample
};

/// Every site of `model`: one "weights" entry per parameter, then per stage its hidden:STAGE
/// (a GRU stage: every step's state) and act:STAGE (every stage but the last), found by
/// running `sample` (a batch of one of the data the model takes) through the stages; then, for
/// a TorchScript model, act:NAME for every graph site (models/script_sites.h) that forward
/// reaches once per sample with float32 values, one row per sample, and that no stage shadows.
std::vector<SiteListing> list_sites(models::StagedModel& model, const torch::Tensor& sample);

/// Builds spec.site (at `stage`, from resolve_site_stage) for a copy of `model` whose site
/// values are stored in `fmt`, evaluated on `images` and `labels` (host tensors; the copy and
/// the data move to `device`). The weight site quantizes spec.targets (of spec.param_kind) and
/// caches the clean activations for spec.engine; the per-sample sites store the stage's output
/// or hidden state for every sample. `model` itself is not changed.
std::unique_ptr<Site> make_site(const CampaignSpec& spec, int stage,
                                const models::StagedModel& model, const format::Format& fmt,
                                const torch::Tensor& images, const torch::Tensor& labels,
                                torch::Device device);

}  // namespace ares::campaign
