#pragma once
/// Fault injection during training: persistent weight faults, activation faults on every
/// forward pass, and gradient faults between backward and the optimizer step.
///
/// Spec grammar (what `ares train --inject SPEC` takes; fields separated by ':'):
///
///     spec    := site [":" format] ":" ber (":" option)*
///     site    := "weights" | "grad" | "act:" STAGE      STAGE: a stage name or index
///     format  := a format spec (format.h); default fp32
///     ber     := a number in [0, 1]                      0: the null-fault control
///     option  := "every=" K      weights only: fault after every K-th optimizer step
///                                (default 100)
///              | "model=" M      fault model (fault_model.h), e.g. stuck1, gaussian:0.1
///              | "protect=" P    protection (protection.h), e.g. sign, msb:2
///              | "semantics=" S  bernoulli (default) or exact
///
/// A value a fault hits becomes decode(faulty code); every other value keeps its full float
/// precision, so a rate of 0 (or a plan with no faults) changes nothing: training measures the
/// faults, not quantization. Non-finite values a fault creates (a float exponent flip) are
/// kept: they are the fault's effect, and training continues with them.
///
/// Examples: `grad:1e-5` (fp32 gradients), `grad:bf16:1e-4`,
/// `weights:q2.6-2c:1e-5:every=100`, `act:fc1:q4.4-sm:1e-3:model=stuck1:protect=sign`.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ares/fault/fault_model.h"
#include "ares/fault/protection.h"
#include "ares/fault/sampler.h"
#include "ares/format/format.h"
#include "ares/models/staged_model.h"

namespace ares::train {

/// One training-time fault site with its format, rate, fault model and protection.
struct Injection {
  enum class Site { kWeights, kActivation, kGradient };
  /// Default of `every=`: weight faults after every 100th optimizer step.
  static constexpr int64_t kDefaultEvery = 100;

  Site site = Site::kGradient;
  std::string stage;  ///< activation site only: the stage's name or index, as typed
  format::Format format = format::Format::fp32();
  double rate = 0;  ///< BER (bit-level models) or per-value rate (value-level models)
  fault::FaultModel model = fault::FaultModel::parse("flip");
  fault::Protection protection = fault::Protection::none();
  fault::Semantics semantics = fault::Semantics::kBernoulli;
  int64_t every = kDefaultEvery;  ///< weights only: optimizer steps between faults

  /// Parses a spec (grammar above). Throws ares::InputError with one line naming the spec and
  /// what is wrong, e.g. `--inject 'grad:fp99:1e-4': format 'fp99': unknown format ...`.
  static Injection parse(std::string_view spec);
  /// Canonical spec: parse(spec()) gives the same injection. Options at their defaults are
  /// left out, except every= of a weight site.
  std::string spec() const;
};

/// What one site did over a whole training run.
struct InjectionStats {
  std::string spec;        ///< canonical spec
  uint64_t rounds = 0;     ///< times faults were sampled (steps, forward passes)
  uint64_t hits = 0;       ///< bits (bit-level) or values (value-level) the faults hit
  uint64_t faults = 0;     ///< values whose stored code changed
  uint64_t nonfinite = 0;  ///< of those, values that became NaN or Inf
};

/// Checks `injection` against `model`: an activation site must name one of its stages
/// (by name or index). Throws ares::InputError naming the spec and the model's stages.
void check_injection(const Injection& injection, const models::StagedModel& model);

/// Applies a list of injections to one model during training. Randomness comes from streams
/// keyed by (seed, site index, step), so a run is reproducible and a site's faults at a step
/// do not depend on the other sites. Faults are applied only where a plan changes a value.
///
/// Example (the loop train_model runs):
///   Injector inj(injections, model, seed);
///   auto loss = cross_entropy(inj.forward(x, step), y);
///   loss.backward();
///   inj.after_backward(step);  // gradient faults
///   opt.step();
///   inj.after_step(step);      // weight faults on every `every`-th step
class Injector {
 public:
  /// Throws ares::InputError when an injection does not fit `model` (check_injection).
  /// The model must stay alive, with float32 parameters, on any device: faults are applied on
  /// the tensors' own device, only the hit values crossing to the host (inject/sparse.h).
  Injector(std::vector<Injection> injections, models::StagedModel& model, uint64_t seed);

  /// The model's forward pass, with every activation site's stage output faulted. Gradients
  /// pass straight through: backward treats a faulty value as if it were the clean one.
  /// Equals model.forward(x) when no activation site has faults.
  torch::Tensor forward(torch::Tensor x, int64_t step);
  /// Faults every parameter's gradient at each gradient site (call after backward).
  void after_backward(int64_t step);
  /// Faults the stored weights at each weight site whose `every` divides step + 1 (call after
  /// the optimizer step; `step` counts from 0).
  void after_step(int64_t step);

  /// Per injection, in order.
  const std::vector<InjectionStats>& stats() const { return stats_; }

 private:
  void fault_tensors(size_t site, const std::vector<torch::Tensor>& tensors, int64_t step);
  torch::Tensor fault_activation(size_t site, const torch::Tensor& x, int64_t step);
  // Site `site`'s stream at step `step`; sample() draws its plan over `n` values from it and
  // counts a round and the hits; apply() writes the plan into the tensors (only the hit values
  // are read, on the tensors' device), counts the faults and returns how many values changed.
  fault::Rng stream(size_t site, int64_t step) const;
  std::vector<fault::Hit> sample(fault::Rng& rng, size_t site, uint64_t n);
  uint64_t apply(fault::Rng& rng, size_t site, const std::vector<fault::Hit>& plan,
                 const std::vector<torch::Tensor>& tensors);

  std::vector<Injection> injections_;
  std::vector<int64_t> act_stage_;  // per injection: its stage, or -1
  std::vector<uint32_t> faultable_;
  models::StagedModel& model_;
  uint64_t seed_;
  std::vector<InjectionStats> stats_;
};

}  // namespace ares::train
