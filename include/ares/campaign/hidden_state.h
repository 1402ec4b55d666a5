#pragma once
/// Hidden-state faults: a GRU stage's hidden state after every time step is stored in a number
/// format (quantized at every step, which sets the baseline) and its stored bits are faulted
/// for every inference (`--site hidden:STAGE`).
///
/// As at the activation site (campaign/activation.h), faults are transient and every evaluated
/// sample draws its own plan over its T x H stored values (value index t * H + u: step t, unit
/// u) from sample_stream(trial stream, sample index), so results do not depend on batching or
/// threads. A sample whose plan changes nothing keeps its baseline prediction; the others are
/// run again through the GRU, whose step hook quantizes h_t and applies the sample's faults of
/// step t before step t + 1 reads h_t, and through the later stages.
///
/// After a fault, the later hidden states differ from the baseline's, so the plan's faults of a
/// later step apply to the word actually stored then: the sample's hits are drawn once
/// (fault::sample_hits: the positions do not depend on the codes), and at each step the hits
/// of that step are given their new codes (fault::apply_hit, in order, on the same stream)
/// from the words stored at that step. A flip therefore flips the bit of the word actually
/// stored, `stuck0` forces it to 0, `zero` zeroes the value actually stored, and so on.
///
/// On a GPU the hidden states stay there: each step is quantized on the device
/// (inject::quantize_tensor, bit for bit the host's format) and only the words the step's
/// hits read cross to the host, and the changed ones back (inject/sparse.h).

#include <torch/types.h>

#include <memory>
#include <vector>

#include "ares/campaign/activation.h"
#include "ares/fault/fault_model.h"
#include "ares/fault/rng.h"
#include "ares/format/format.h"
#include "ares/models/gru.h"
#include "ares/models/staged_model.h"

namespace ares::campaign {

/// The baseline pass with the hidden state of GRU stage `stage` stored in `fmt` at every step.
class HiddenStateCache : public SampleCodes {
 public:
  /// `model` in eval mode, on the device of `images`; its weights stay float, and its step
  /// hook is left empty. The codes are kept on the host, the stored states and the GRU's
  /// inputs on the device. Throws ares::InputError when `stage` is out of range or is not a
  /// GRU (models/gru.h).
  HiddenStateCache(models::StagedModel& model, size_t stage, const format::Format& fmt,
                   const torch::Tensor& images, const torch::Tensor& labels, int64_t batch,
                   int top_k = 1);
  size_t stage() const { return stage_; }
  /// T, the GRU's steps per sample.
  int64_t steps() const { return steps_; }
  /// H, the GRU's hidden size (values_per_sample() == steps() * hidden_size()).
  int64_t hidden_size() const { return hidden_; }
  /// The GRU stage's input for every sample (N x T x F).
  const torch::Tensor& inputs() const { return inputs_; }
  /// The baseline's stored (decoded) hidden states, N x T x H.
  const torch::Tensor& states() const { return states_; }

 private:
  size_t stage_;
  int64_t steps_ = 0, hidden_ = 0;
  torch::Tensor inputs_, states_;
};

/// Runs hidden-state-fault trials on one thread's model copy (its GRU's step hook is this
/// evaluator's from construction on).
class HiddenStateEvaluator : public SampleEvaluator {
 public:
  /// `model`: a copy of the model the cache was built from (e.g. clone_model()).
  HiddenStateEvaluator(std::shared_ptr<const HiddenStateCache> cache,
                       std::shared_ptr<models::StagedModel> model, int64_t batch);
  ~HiddenStateEvaluator() override;
  bool run(uint64_t trial_stream, uint32_t faultable_mask, double ber, fault::Semantics semantics,
           const fault::FaultModel& model, uint64_t* hits, int64_t* errors) override;
  /// The hidden states (decoded, T x H) that sample `sample` stores at every step in the trial
  /// `run` would evaluate with the same arguments: the baseline's when its plan is empty.
  torch::Tensor stored_states(int64_t sample, uint64_t trial_stream, uint32_t faultable_mask,
                              double ber, fault::Semantics semantics,
                              const fault::FaultModel& model);

 private:
  // One faulty sample of the batch being run.
  struct Row {
    int64_t sample;
    int64_t first_step;            // its first step with a change; earlier ones are the baseline's
    std::vector<fault::Hit> hits;  // its plan's hits, by value index
    size_t next;                   // the first hit not yet applied
    fault::Rng rng;                // its stream, just past hits[0, next)
  };
  struct Trial {
    uint64_t stream;
    uint32_t mask;
    double ber;
    fault::Semantics semantics;
    const fault::FaultModel* model;
  };
  // Sample `sample`'s row, its first change at step `first_step` (as the plan over the
  // baseline's codes says): its hits drawn, those of earlier steps applied to the baseline's
  // words (they change nothing; the stream moves past them).
  Row make_row(int64_t sample, int64_t first_step) const;
  // The step hook: stores h_t in the format and applies the rows' faults of step t.
  void step(int64_t t, torch::Tensor& h);
  // Runs the GRU and the later stages on the samples of rows_ (their indices in `index`).
  torch::Tensor forward(const torch::Tensor& index);

  std::shared_ptr<const HiddenStateCache> cache_;
  std::shared_ptr<models::StagedModel> model_;
  models::GruStepHookImpl* hook_;
  int64_t batch_;
  Trial trial_{};
  std::vector<Row> rows_;
  // Per batch, on the device: each row's sample and first step with a change; and on the host
  // the last of those steps (from then on no row stores the baseline's words).
  torch::Tensor row_samples_, row_first_;
  int64_t last_first_step_ = 0;
  std::vector<torch::Tensor>* record_ = nullptr;
};

}  // namespace ares::campaign
