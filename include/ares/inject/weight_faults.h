#pragma once
/// Weight faults: quantize a model's target parameters into a format, keep their codes, and
/// apply or undo a fault plan in place in O(faults).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ares/fault/fault_model.h"
#include "ares/fault/sampler.h"
#include "ares/format/format.h"
#include "ares/format/scaled.h"
#include "ares/inject/param_kind.h"
#include "ares/models/staged_model.h"

namespace ares::inject {

/// True when `name` is a bias under ParamKind's rule.
bool is_bias_name(const std::string& name);

/// The parameters a weight campaign targets, concatenated in the model's parameter order into
/// one index space of values, with their codes in one format. Read-only once built, shared by
/// all threads.
///
/// A scaled format (format/scaled.h) adds metadata words: every parameter's groups, in
/// parameter order, each with a scale code (in format().scale_format()) and, for -asym, a zero
/// point code (in format().element()). A fault plan's indices then run over data values
/// [0, num_values()), then scales [num_values(), num_values() + num_groups()), then zero points
/// [num_values() + num_groups(), num_values() + 2 * num_groups()).
class WeightTargets {
 public:
  /// Selects the parameters of `model` of kind `kind` whose names match any of `globs`
  /// (fnmatch, e.g. "fc1.*", "*.weight"), quantizes them in place to `fmt`, and records their
  /// codes. Throws ares::InputError when no parameter matches or a parameter holds NaN/Inf.
  WeightTargets(models::StagedModel& model, const std::vector<std::string>& globs,
                const format::Format& fmt, ParamKind kind = ParamKind::kAll);

  struct Param {
    std::string name;
    size_t stage;  ///< stage owning it
    bool is_bias;  ///< "bias" (else "weight")
    std::vector<int64_t> shape;
    uint64_t offset;  ///< first index in the concatenated space
    uint64_t size;
    format::GroupLayout layout;  ///< scaled formats: its groups
    uint64_t group_offset = 0;   ///< scaled formats: its first group's index
  };
  const std::vector<Param>& params() const { return params_; }
  const format::Format& format() const { return format_; }
  uint64_t num_values() const { return codes_.size(); }
  uint32_t code(uint64_t index) const { return codes_[index]; }
  /// All clean codes, in index order.
  const uint32_t* codes() const { return codes_.data(); }
  /// Index of the parameter holding value `index` (binary search).
  size_t param_of(uint64_t index) const;
  /// Largest |float - quantized| over all targets (how much quantization moved the weights).
  double max_quantization_error() const { return max_error_; }

  /// Scaled formats: the groups of all parameters, their clean scale and zero-point codes, the
  /// global group of data value `index`, and a data code's value in group `group` with
  /// metadata `g`. num_groups() is 0 for other formats.
  uint64_t num_groups() const { return scale_codes_.size(); }
  const uint32_t* scale_codes() const { return scale_codes_.data(); }
  const uint32_t* zero_codes() const { return zero_codes_.data(); }
  uint64_t group_of(uint64_t index) const;
  /// The parameter holding group `group`.
  size_t param_of_group(uint64_t group) const;
  /// The clean metadata of group `group`.
  format::GroupScale clean_scale(uint64_t group) const;
  /// decode(code) for other formats; the scaled value in a group with metadata `g` for scaled ones.
  float value(uint32_t code, const format::GroupScale& g) const;

 private:
  format::Format format_;
  std::vector<Param> params_;
  std::vector<uint32_t> codes_;
  std::vector<uint32_t> scale_codes_;
  std::vector<uint32_t> zero_codes_;
  double max_error_ = 0;
};

/// One value changed by a plan.
struct ValueChange {
  size_t param;     ///< index into WeightTargets::params()
  uint64_t offset;  ///< element offset inside that parameter
  float clean;      ///< decoded clean code
  float faulty;     ///< decoded faulty code
};

/// Applies plans to one model copy (one per thread) that holds the quantized targets.
class WeightInjector {
 public:
  /// How faulty values reach the parameters: kHost stores each value through a pointer
  /// (CPU tensors); kDevice gathers a plan's values per parameter and writes them with one
  /// index_put_ on the tensor's own device, so only the sparse list crosses from the host
  /// (CUDA tensors). kAuto picks kHost for CPU parameters, else kDevice; kDevice also works on
  /// the CPU, which is how its tests run without a GPU.
  enum class Writes { kAuto, kHost, kDevice };
  /// `model` must be a model whose target parameters equal the quantized values of `targets`
  /// (the model quantized by WeightTargets, or a clone of it, on any device).
  WeightInjector(std::shared_ptr<const WeightTargets> targets, models::StagedModel& model,
                 Writes writes = Writes::kAuto);
  /// Writes decode(code ^ flipped bits) into each value a plan touches. Flips must be sorted
  /// by index (as sample_flips returns them). Returns the changes, sorted by value index.
  /// Precondition: the previous plan was restored.
  const std::vector<ValueChange>& apply(const std::vector<fault::Flip>& flips);
  /// Writes decode(code) for each new code (sorted by index, one per value, as
  /// fault::sample_faults returns them). Returns the changes. For a scaled format the indices
  /// may also name metadata words (WeightTargets): a changed scale or zero point rewrites every
  /// value of its group (with the group's faulty data codes), and the changes list every value
  /// so rewritten, sorted by value index.
  const std::vector<ValueChange>& apply_codes(const std::vector<fault::CodeChange>& codes);
  /// Puts back the clean values of the last applied plan. O(changes).
  void restore();
  /// Lowest stage index that the applied plan touches; num_stages when none.
  size_t first_stage() const { return first_stage_; }
  const std::vector<ValueChange>& changes() const { return changes_; }

 private:
  // Writes `value(change)` into every changed value: through data_ or per parameter.
  template <typename Value>
  void write(Value value);
  // The changes of a plan over a scaled format's data and metadata words.
  void scaled_changes(const std::vector<fault::CodeChange>& codes);

  std::shared_ptr<const WeightTargets> targets_;
  std::vector<float*> data_;         // kHost: per target parameter, its storage
  std::vector<torch::Tensor> flat_;  // kDevice: per target parameter, a flat view
  bool device_writes_ = false;
  std::vector<ValueChange> changes_;
  size_t num_stages_;
  size_t first_stage_;
};

}  // namespace ares::inject
