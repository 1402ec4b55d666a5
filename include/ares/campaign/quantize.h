#pragma once
/// Choosing a storage format: the clean error of a model with its weights stored in each
/// format of a grid, and the smallest format within a loss bound. The library call behind
/// `ares quantize`; a program (or the Python API) calls it on a model it holds.
///
/// Example:
///   auto formats = campaign::quantize_grid({4, 6, 8}, {1, 2, 3}, {false, true}, {"fp16"});
///   auto result = campaign::quantize_sweep(*model, images, labels, formats,
///                                          campaign::QuantizeOptions().max_loss(1));
///   if (auto best = result.recommended()) std::cout << best->fmt.spec();

#include <torch/types.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ares/format/format.h"
#include "ares/models/staged_model.h"

namespace ares::campaign {

/// The fixed-point grid Q(I.F) over total widths `widths` and integer bits `int_bits` (sign
/// included; I <= width), for each encoding of `sign_magnitude` (false: two's complement),
/// followed by the float formats `floats` ("fp16", "bf16", "fp32", "fp8-e4m3", "fp8-e5m2", with
/// or without "-nosat"; also fp6-e2m3, fp6-e3m2, fp4-e2m1; "none" is skipped; `ares quantize`
/// defaults to fp16 and bf16), then the scaled formats `scaled` ("int8-ch", "mxfp4", ...;
/// "none" is skipped; format/scaled.h). Throws ares::InputError for widths outside 2..32,
/// integer bits below 1, a fixed-point spec among the floats, a format that is not scaled
/// among `scaled`, or an empty grid.
std::vector<format::Format> quantize_grid(const std::vector<int>& widths,
                                          const std::vector<int>& int_bits,
                                          const std::vector<bool>& sign_magnitude,
                                          const std::vector<std::string>& floats,
                                          const std::vector<std::string>& scaled = {});

struct QuantizeOptions {
#define ARES_ARG(T, name, init) \
  T name##_ = init;             \
  QuantizeOptions& name(T v) {  \
    name##_ = std::move(v);     \
    return *this;               \
  }
  /// Allowed error increase, in percent of the float model's error.
  ARES_ARG(double, max_loss, 1.0)
  /// The parameters stored in the format (globs); the others stay float.
  ARES_ARG(std::vector<std::string>, targets, std::vector<std::string>{"*"})
  ARES_ARG(int64_t, batch, 1000)
  /// Also each stage alone (the others float), and the per-stage choices together.
  ARES_ARG(bool, per_layer, false)
  /// Called after each format with (scope, formats done, formats in the grid).
  ARES_ARG(std::function<void(const std::string&, size_t, size_t)>, progress, nullptr)
#undef ARES_ARG
};

/// One format's clean error in one scope.
struct QuantizeRow {
  std::string scope;  ///< "model" or a stage name
  format::Format fmt = format::Format::fp32();
  double error = 0;
  double max_quantization_error = 0;  ///< largest |stored - float| over the stored weights
  /// Stored bits per weight, the metadata of a scaled format counted (its scales and zero
  /// points over the stored weights); the width for other formats.
  double bits_per_weight = 0;
  bool within = false;  ///< error <= the bound
};

/// The choice for one stage (per_layer).
struct LayerChoice {
  std::string stage;
  std::optional<format::Format> fmt;  ///< none within the bound: empty
  double error = 0;                   ///< that stage stored alone in fmt
};

struct QuantizeResult {
  double float_error = 0;
  double bound = 0;  ///< float_error * (1 + max_loss / 100)
  int64_t samples = 0;
  std::vector<QuantizeRow> rows;        ///< scope "model", in the grid's order
  std::vector<QuantizeRow> layer_rows;  ///< per_layer: every stage's rows, stage by stage
  std::vector<LayerChoice> layers;      ///< per_layer: per stage
  /// per_layer, when every stage has a choice: the error with all of them at once.
  std::optional<double> combined_error;
  /// The recommended row of the whole model (recommend()), or nullptr.
  const QuantizeRow* recommended() const;
};

/// The recommendation among the rows within the bound: the smallest width, then the lowest
/// error, then two's complement, then fewer integer bits. nullptr when none is within.
const QuantizeRow* recommend(const std::vector<QuantizeRow>& rows);

/// Evaluates `model` (in eval mode, batch norm folded as campaigns store it) on `images` and
/// `labels` with its target weights stored in each of `formats`; each format goes into a
/// copy, so the model's parameters are not changed. Throws ares::InputError for an empty
/// grid, a batch below 1 or a negative max_loss.
QuantizeResult quantize_sweep(models::StagedModel& model, const torch::Tensor& images,
                              const torch::Tensor& labels,
                              const std::vector<format::Format>& formats,
                              const QuantizeOptions& options = QuantizeOptions());

/// quantize.csv: one line per row (model, then per stage), every number exact.
std::string quantize_csv(const QuantizeResult& result, const std::string& checkpoint,
                         const std::string& model_name, const std::string& dataset);

}  // namespace ares::campaign
