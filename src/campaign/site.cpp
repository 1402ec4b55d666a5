#include "ares/campaign/site.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ares/campaign/activation.h"
#include "ares/campaign/engine.h"
#include "ares/campaign/hidden_state.h"
#include "ares/common/error.h"
#include "ares/common/files.h"
#include "ares/fault/chip.h"
#include "ares/fault/ecc.h"
#include "ares/fault/fault_model.h"
#include "ares/fault/rng.h"
#include "ares/inject/weight_faults.h"
#include "ares/models/gru.h"

namespace ares::campaign {
namespace {

// The outcomes of a trial, and its mean NLL: the baseline's summed NLL plus the faults' rise.
void set_outcomes(TrialRow& r, const models::Outcomes& o, double baseline_nll) {
  r.changed = o.changed;
  r.nonfinite = o.nonfinite;
  r.changed_correct = o.changed_correct;
  r.nll = (baseline_nll + o.nll_increase) / double(r.samples);
}

// A trial's faults over a scaled format's stored words: the data words at the element's
// faultable bits, then (as --words selects) every bit of the scales and of the zero points,
// each metadata word a SEC-DED codeword under --meta-protection secded, drawn in that order
// from the trial's stream; the metadata indices follow the data's (inject::WeightTargets).
fault::FaultPlan sample_scaled_faults(fault::Rng& rng, const inject::WeightTargets& t,
                                      uint32_t mask, double ber, const CampaignSpec& spec,
                                      fault::EccCounts* counts) {
  fault::FaultPlan plan;
  const format::Format& fmt = t.format();
  const format::Format element = fmt.element();
  if (spec.words != Words::kMeta) {
    uint64_t hits = 0;
    plan.changes = fault::sample_faults(rng, t.codes(), t.num_values(), element, mask, ber,
                                        spec.semantics, spec.fault_model, &hits);
    plan.hits += hits;
  }
  if (spec.words != Words::kData) {
    const auto meta = [&](const uint32_t* codes, const format::Format& f, uint64_t offset) {
      fault::FaultPlan part;
      if (spec.meta_secded) {
        fault::EccCounts c;
        part = fault::sample_coded_faults(rng, codes, t.num_groups(), f, metadata_code(f),
                                          spec.meta_action, ber, spec.semantics, &c);
        counts->corrected += c.corrected;
        counts->detected += c.detected;
        counts->miscorrected += c.miscorrected;
      } else {
        part.changes = fault::sample_faults(rng, codes, t.num_groups(), f, f.code_mask(), ber,
                                            spec.semantics, spec.fault_model, &part.hits);
      }
      for (auto& c : part.changes) {
        c.index += offset;
        plan.changes.push_back(c);
      }
      plan.hits += part.hits;
    };
    meta(t.scale_codes(), fmt.scale_format(), t.num_values());
    if (fmt.scaling().zero_point) meta(t.zero_codes(), element, t.num_values() + t.num_groups());
  }
  return plan;
}

// The chips of a campaign (CampaignSpec::chips) over `values` weights: drawn over the words laid
// out as 32 bits each (so every format, whatever its width, finds the same cells at the same
// addresses) up to the grid's largest BER, or read from spec.load_chips; written to
// spec.save_chips when asked.
std::vector<fault::ChipMap> make_chips(const CampaignSpec& spec, uint64_t values) {
  std::vector<fault::ChipMap> chips;
  for (int k = 0; k < spec.chips; ++k) {
    const std::string name = "chip-" + std::to_string(k) + ".csv";
    if (!spec.load_chips.empty()) {
      const std::string path = (std::filesystem::path(spec.load_chips) / name).string();
      std::ifstream in(path, std::ios::binary);
      ARES_CHECK(in, "campaign: --load-chips: cannot read ", path, " (chip ", k, " of ", spec.chips,
                 ")");
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      chips.push_back(fault::parse_chip_map(text, path));
    } else {
      chips.push_back(
          fault::draw_chip(chip_stream(spec.seed, size_t(k)), values * 32, spec.bers.back()));
    }
    if (!spec.save_chips.empty()) {
      std::filesystem::create_directories(spec.save_chips);
      write_file_atomic((std::filesystem::path(spec.save_chips) / name).string(),
                        fault::chip_map_text(chips.back()));
    }
  }
  return chips;
}

// The weight site: the target parameters quantized into the format, the clean activations
// of every stage cached for the engine; a trial is one plan over all target codes.
class WeightSite : public Site {
 public:
  WeightSite(const CampaignSpec& spec, const models::StagedModel& model, const format::Format& fmt,
             const torch::Tensor& images, const torch::Tensor& labels, torch::Device device)
      : spec_(spec), model_(model.clone_model()) {
    model_->eval();
    targets_ =
        std::make_shared<const inject::WeightTargets>(*model_, spec.targets, fmt, spec.param_kind);
    // Quantized on the host (the codes stay there: sampling is host-side), then the model and
    // the evaluation set move to the device; trial models are clones, on the device.
    if (!device.is_cpu()) model_->to(device);
    cache_ = std::make_shared<const CleanCache>(*model_, images.to(device), labels.to(device),
                                                spec.batch, spec.cache_mb, spec.measure_floor,
                                                device.is_cpu() ? spec.threads : 1, spec.top_k);
    if (spec.chips > 0) {
      chips_ = std::make_shared<const std::vector<fault::ChipMap>>(
          make_chips(spec, targets_->num_values()));
    }
  }
  uint64_t values() const override { return targets_->num_values(); }
  uint64_t metadata_bits() const override {
    const format::Format& f = targets_->format();
    if (!f.is_scaled()) return 0;
    const uint64_t groups = targets_->num_groups();
    // Each kind of metadata word: plain, or in SEC-DED codewords with their check bits.
    const auto words = [&](const format::Format& w) {
      if (!spec_.meta_secded) return groups * uint64_t(w.width());
      const fault::BlockCode code = metadata_code(w);
      return fault::codeword_count(groups, w.width(), code) * uint64_t(code.total_bits());
    };
    return words(f.scale_format()) + (f.scaling().zero_point ? words(f.element()) : 0);
  }
  int64_t baseline_errors() const override { return cache_->baseline_errors(); }
  double baseline_nll() const override { return cache_->baseline_nll(); }
  int64_t samples() const override { return cache_->samples(); }
  bool timed_clean_pass() const override { return true; }
  double clean_forward_seconds() const override { return cache_->forward_seconds(); }
  double floor_seconds(int first_stage) const override {
    return cache_->suffix_seconds().at(size_t(first_stage));
  }
  double timing_seconds() const override {
    double s = 0;
    for (double t : cache_->suffix_seconds()) s += t;
    return s;
  }
  std::unique_ptr<SiteTrials> make_trials() const override;

 private:
  class Trials;
  const CampaignSpec& spec_;
  std::shared_ptr<models::StagedModel> model_;  // quantized, on the device
  std::shared_ptr<const inject::WeightTargets> targets_;
  std::shared_ptr<const CleanCache> cache_;
  std::shared_ptr<const std::vector<fault::ChipMap>> chips_;  // CampaignSpec::chips
};

class WeightSite::Trials : public SiteTrials {
 public:
  explicit Trials(const WeightSite& site)
      : spec_(site.spec_),
        targets_(site.targets_),
        chips_(site.chips_),
        baseline_nll_(site.baseline_nll()),
        ev_(site.cache_, site.model_->clone_model(), site.targets_, site.spec_.engine,
            site.spec_.batch) {}
  void run(const TrialJob& job, TrialRow& r) override {
    fault::Rng rng(r.stream);
    const inject::WeightTargets& t = *targets_;
    fault::FaultPlan plan;
    if (chips_) {  // the chip's cells that are faulty at this BER, on this format's words
      plan.changes = fault::chip_faults(chips_->at(size_t(r.trial)), t.codes(), t.num_values(),
                                        t.format().width(), job.mask, job.ber, &plan.hits);
    } else if (job.code) {  // the codewords' data and check bits fault, then the decoder acts
      fault::EccCounts counts;
      plan = fault::sample_coded_faults(rng, t.codes(), t.num_values(), t.format(), *job.code,
                                        job.action, job.ber, spec_.semantics, &counts);
      r.ecc_corrected = int64_t(counts.corrected);
      r.ecc_detected = int64_t(counts.detected);
      r.ecc_miscorrected = int64_t(counts.miscorrected);
    } else if (t.format().is_scaled()) {
      fault::EccCounts counts;
      plan = sample_scaled_faults(rng, t, job.mask, job.ber, spec_, &counts);
      if (spec_.meta_secded) {
        r.ecc_corrected = int64_t(counts.corrected);
        r.ecc_detected = int64_t(counts.detected);
        r.ecc_miscorrected = int64_t(counts.miscorrected);
      }
    } else if (spec_.sampler == Sampler::kDense) {  // the original Ares's draw, as a yardstick
      auto flips = fault::sample_flips_dense(rng, t.num_values(), job.mask, job.ber);
      plan = fault::plan_of_flips(flips, t.codes());
    } else if (spec_.paired) {
      plan.changes = fault::sample_paired_faults(rng, t.codes(), t.num_values(), t.format(),
                                                 job.sample_mask, job.mask, job.ber,
                                                 spec_.semantics, spec_.fault_model, &plan.hits);
    } else {
      plan.changes = fault::sample_faults(rng, t.codes(), t.num_values(), t.format(), job.mask,
                                          job.ber, spec_.semantics, spec_.fault_model, &plan.hits);
    }
    r.faults = plan.hits;
    r.errors = ev_.errors(plan);
    r.evaluated = !plan.empty();
    r.first_stage = r.evaluated ? int(ev_.last_first_stage()) : -1;
    set_outcomes(r, ev_.last_outcomes(), baseline_nll_);
  }

 private:
  const CampaignSpec& spec_;
  std::shared_ptr<const inject::WeightTargets> targets_;
  std::shared_ptr<const std::vector<fault::ChipMap>> chips_;
  double baseline_nll_;
  TrialEvaluator ev_;
};

std::unique_ptr<SiteTrials> WeightSite::make_trials() const {
  return std::make_unique<Trials>(*this);
}

// The per-sample sites: a stage's output (act:STAGE), a TorchScript model's submodule or op
// output (act:NAME, kGraphSite) or a GRU's hidden state after every step
// (hidden:STAGE), stored in the format for every sample; weights stay float. A trial draws
// one plan per sample and re-runs the samples it changes.
class SampleSite : public Site {
 public:
  SampleSite(const CampaignSpec& spec, int stage, bool hidden, const models::StagedModel& model,
             const format::Format& fmt, const torch::Tensor& images, const torch::Tensor& labels,
             torch::Device device)
      : spec_(spec), stage_(stage) {
    if (stage != kGraphSite) {  // a graph site runs the TorchScript archive, not the stages
      model_ = model.clone_model();
      model_->eval();
      // The model and the evaluation set on the device; the codes on the host (sampling is
      // host-side), the stored activations or states on the device.
      if (!device.is_cpu()) model_->to(device);
    }
    if (stage == kGraphSite) {
      ARES_CHECK(device.is_cpu(), "site '", spec.site.text(),
                 "': a submodule or op output site runs on the CPU (--device cpu)");
      codes_ = graph_ = std::make_shared<const GraphActivationCache>(
          model.script_source(), spec.site.stage, model.name(), fmt, images, labels, spec.batch,
          spec.top_k);
    } else if (hidden) {
      codes_ = hidden_ = std::make_shared<const HiddenStateCache>(
          *model_, size_t(stage), fmt, images.to(device), labels, spec.batch, spec.top_k);
    } else {
      codes_ = act_ = std::make_shared<const ActivationCache>(
          *model_, size_t(stage), fmt, images.to(device), labels, spec.batch, spec.top_k);
    }
  }
  uint64_t values() const override {
    return uint64_t(codes_->samples() * codes_->values_per_sample());
  }
  int64_t baseline_errors() const override { return codes_->baseline_errors(); }
  double baseline_nll() const override { return codes_->baseline_nll(); }
  int64_t samples() const override { return codes_->samples(); }
  std::unique_ptr<SiteTrials> make_trials() const override;

 private:
  class Trials;
  const CampaignSpec& spec_;
  int stage_;
  std::shared_ptr<models::StagedModel> model_;  // float weights, on the device (none at act:NAME)
  std::shared_ptr<const SampleCodes> codes_;    // one of:
  std::shared_ptr<const ActivationCache> act_;
  std::shared_ptr<const HiddenStateCache> hidden_;
  std::shared_ptr<const GraphActivationCache> graph_;
};

class SampleSite::Trials : public SiteTrials {
 public:
  explicit Trials(const SampleSite& site)
      : spec_(site.spec_),
        stage_(site.stage_ == kGraphSite ? 0 : site.stage_),
        baseline_nll_(site.baseline_nll()) {
    if (site.graph_) {
      ev_ = std::make_unique<GraphActivationEvaluator>(site.graph_, spec_.batch);
    } else if (site.hidden_) {
      ev_ = std::make_unique<HiddenStateEvaluator>(site.hidden_, site.model_->clone_model(),
                                                   spec_.batch);
    } else {
      ev_ =
          std::make_unique<ActivationEvaluator>(site.act_, site.model_->clone_model(), spec_.batch);
    }
  }
  void run(const TrialJob& job, TrialRow& r) override {
    ARES_CHECK(!job.code, "site '", spec_.site.text(), "': codes protect the weight site only");
    r.evaluated = ev_->run(r.stream, job.mask, job.ber, spec_.semantics, spec_.fault_model,
                           &r.faults, &r.errors);
    r.first_stage = r.evaluated ? stage_ : -1;
    set_outcomes(r, ev_->last_outcomes(), baseline_nll_);
  }

 private:
  const CampaignSpec& spec_;
  int stage_;
  double baseline_nll_;
  std::unique_ptr<SampleEvaluator> ev_;
};

std::unique_ptr<SiteTrials> SampleSite::make_trials() const {
  return std::make_unique<Trials>(*this);
}

}  // namespace

int resolve_site_stage(const SiteRef& site, const models::StagedModel& model) {
  if (site.is_weights()) return -1;
  const bool hidden = site.kind == SiteRef::Kind::kHidden;
  const int stage = int(model.find_stage(site.stage));
  // An activation site needs a stage after it; a GRU's hidden state may feed the output.
  const bool found = stage >= 0 && (hidden || stage + 1 < int(model.num_stages()));
  if (!found && !hidden && model.script_source()) {
    const auto names = models::graph_site_names(*model.script_source());
    for (const auto& n : names) {
      if (n.name == site.stage) return kGraphSite;
    }
    std::string near;
    for (const auto& n : models::nearest_names(names, site.stage)) {
      near += (near.empty() ? "" : ", ") + n;
    }
    throw InputError("site '" + site.text() + "': model " + model.name() + " has no stage '" +
                     site.stage + "' before its last (stages: " + model.stage_list() +
                     ") and no submodule or op output of that name (nearest: " + near +
                     "; `ares sites MODEL` lists every site)");
  }
  ARES_CHECK(found, "site '", site.text(), "': model ", model.name(), " has no stage '", site.stage,
             hidden ? "'" : "' before its last", " (stages: ", model.stage_list(), ")");
  if (hidden) {
    try {
      // Only looks the hook up (gru_step_hook takes the model it may be used to change).
      models::gru_step_hook(const_cast<models::StagedModel&>(model),
                            model.stage_name(size_t(stage)));
    } catch (const InputError& e) {
      throw InputError("site '" + site.text() + "': " + e.what());
    }
  }
  return stage;
}

uint64_t chip_stream(uint64_t seed, size_t chip) {
  return fault::stream_key(seed, {0x63686970ull /* "chip" */, uint64_t(chip)});
}

std::vector<SiteListing> list_sites(models::StagedModel& model, const torch::Tensor& sample) {
  std::vector<SiteListing> sites;
  for (const auto& p : model.named_parameters()) {
    sites.push_back({"weights", p.key(), p.value().sizes().vec(), p.value().numel()});
  }
  c10::InferenceMode guard;
  torch::Tensor x = sample;
  for (size_t i = 0; i < model.num_stages(); ++i) {
    const std::string& name = model.stage_name(i);
    // A GRU stage: count the steps and the state's width through its step hook.
    models::GruStepHookImpl* hook = nullptr;
    try {
      hook = models::gru_step_hook(model, name);
    } catch (const InputError&) {  // not a GRU stage
    }
    int64_t steps = 0, width = 0;
    if (hook) {
      hook->on_step = [&](int64_t, torch::Tensor& h) {
        ++steps;
        width = h.size(1);
      };
    }
    try {
      x = model.stage(i)->forward(x);
    } catch (...) {
      if (hook) hook->on_step = nullptr;
      throw;
    }
    if (hook) {
      hook->on_step = nullptr;
      sites.push_back({"hidden:" + name, "", {steps, width}, steps * width});
    }
    if (i + 1 < model.num_stages()) {
      std::vector<int64_t> shape(x.sizes().begin() + 1, x.sizes().end());
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      sites.push_back({"act:" + name, "", shape, n});
    }
  }
  if (!model.script_source()) return sites;
  // The graph sites: one forward on the sample twice over, a point at each, to see which are
  // reached once with a float32 row per sample.
  std::vector<std::string> names;
  for (const auto& n : models::graph_site_names(*model.script_source())) {
    // A stage's name before the last is its stage's site (resolve_site_stage); the last
    // stage's name is the graph's value (the logits), as the campaign takes it.
    const int64_t stage = model.find_stage(n.name);
    if (stage < 0 || stage + 1 == int64_t(model.num_stages())) names.push_back(n.name);
  }
  models::FaultPointModel points(*model.script_source(), names, model.name());
  std::vector<SiteListing> seen(names.size());
  auto record = [&](size_t p, const torch::Tensor& v) {
    if (v.scalar_type() == torch::kFloat && v.dim() >= 1 && v.size(0) == 2) {
      seen[p] = {"act:" + names[p], "", v.sizes().slice(1).vec(), v[0].numel()};
    }
    return v;
  };
  std::vector<int64_t> reached;
  points.forward(torch::cat({sample, sample}).to(torch::kCPU), record, &reached);
  for (size_t p = 0; p < names.size(); ++p) {
    if (reached[p] == 1 && !seen[p].site.empty()) sites.push_back(seen[p]);
  }
  return sites;
}

std::unique_ptr<Site> make_site(const CampaignSpec& spec, int stage,
                                const models::StagedModel& model, const format::Format& fmt,
                                const torch::Tensor& images, const torch::Tensor& labels,
                                torch::Device device) {
  switch (spec.site.kind) {
    case SiteRef::Kind::kWeights:
      return std::make_unique<WeightSite>(spec, model, fmt, images, labels, device);
    case SiteRef::Kind::kActivation:
    case SiteRef::Kind::kHidden:
      ARES_CHECK(stage >= 0 || stage == kGraphSite, "site '", spec.site.text(),
                 "': no stage resolved");
      return std::make_unique<SampleSite>(spec, stage, spec.site.kind == SiteRef::Kind::kHidden,
                                          model, fmt, images, labels, device);
  }
  throw InputError("site '" + spec.site.text() + "': unknown kind");
}

}  // namespace ares::campaign
