#include "ares/campaign/quantize.h"

#include <torch/torch.h>

#include <cstdio>
#include <sstream>
#include <tuple>

#include "ares/analysis/csv.h"
#include "ares/common/error.h"
#include "ares/inject/weight_faults.h"
#include "ares/models/evaluate.h"

namespace ares::campaign {

std::vector<format::Format> quantize_grid(const std::vector<int>& widths,
                                          const std::vector<int>& int_bits,
                                          const std::vector<bool>& sign_magnitude,
                                          const std::vector<std::string>& floats,
                                          const std::vector<std::string>& scaled) {
  std::vector<format::Format> formats;
  for (bool sm : sign_magnitude) {
    for (int w : widths) {
      ARES_CHECK(w >= 2 && w <= 32, "quantize: --bits must be in 2..32, got ", w);
      for (int i : int_bits) {
        ARES_CHECK(i >= 1, "quantize: --int-bits must be >= 1, got ", i);
        if (i <= w) formats.push_back(format::Format::fixed(i, w - i, sm));
      }
    }
  }
  for (const auto& f : floats) {
    if (f == "none") continue;
    auto fmt = format::Format::parse(f);
    ARES_CHECK(!fmt.is_fixed(),
               "quantize: --floats takes fp16, bf16, fp32, fp8-e4m3, fp8-e5m2, got '", f, "'");
    formats.push_back(fmt);
  }
  for (const auto& f : scaled) {
    if (f == "none") continue;
    auto fmt = format::Format::parse(f);
    ARES_CHECK(fmt.is_scaled(),
               "quantize: --scaled takes intN[-ch][-asym][-s16] and mx... "
               "formats, got '",
               f, "'");
    formats.push_back(fmt);
  }
  ARES_CHECK(!formats.empty(), "quantize: the format grid is empty");
  return formats;
}

const QuantizeRow* recommend(const std::vector<QuantizeRow>& rows) {
  const QuantizeRow* best = nullptr;
  auto key = [](const QuantizeRow& r) {
    return std::make_tuple(r.bits_per_weight, r.error, r.fmt.kind() != format::Kind::kFixed2c,
                           r.fmt.int_bits());
  };
  for (const auto& r : rows) {
    if (r.within && (!best || key(r) < key(*best))) best = &r;
  }
  return best;
}

const QuantizeRow* QuantizeResult::recommended() const { return recommend(rows); }

namespace {

// Clean error with the parameters `globs` of a copy of `model` stored in `fmt`.
QuantizeRow evaluate(const models::StagedModel& model, const std::vector<std::string>& globs,
                     const format::Format& fmt, const torch::Tensor& images,
                     const torch::Tensor& labels, int64_t batch) {
  auto q = model.clone_model();
  q->eval();
  inject::WeightTargets targets(*q, globs, fmt);
  QuantizeRow r;
  r.fmt = fmt;
  r.error = models::evaluate_error(*q, images, labels, batch);
  r.max_quantization_error = targets.max_quantization_error();
  // The metadata counts: num_groups() is 0 for a format that is not scaled.
  r.bits_per_weight = fmt.width() + double(targets.num_groups()) * fmt.metadata_bits() /
                                        double(targets.num_values());
  return r;
}

}  // namespace

QuantizeResult quantize_sweep(models::StagedModel& model, const torch::Tensor& images,
                              const torch::Tensor& labels,
                              const std::vector<format::Format>& formats,
                              const QuantizeOptions& options) {
  ARES_CHECK(!formats.empty(), "quantize: the format grid is empty");
  ARES_CHECK(options.batch_ >= 1, "quantize: --batch must be >= 1, got ", options.batch_);
  ARES_CHECK(options.max_loss_ >= 0, "quantize: --max-loss must be >= 0, got ", options.max_loss_);
  c10::InferenceMode guard;
  QuantizeResult res;
  res.samples = images.size(0);
  res.float_error = models::evaluate_error(model, images, labels, options.batch_);
  res.bound = res.float_error * (1 + options.max_loss_ / 100);
  auto sweep = [&](const std::string& scope, const std::vector<std::string>& globs) {
    std::vector<QuantizeRow> rows;
    for (const auto& fmt : formats) {
      QuantizeRow r = evaluate(model, globs, fmt, images, labels, options.batch_);
      r.scope = scope;
      r.within = r.error <= res.bound;
      rows.push_back(r);
      if (options.progress_) options.progress_(scope, rows.size(), formats.size());
    }
    return rows;
  };
  res.rows = sweep("model", options.targets_);
  if (!options.per_layer_) return res;
  auto combined = model.clone_model();
  combined->eval();
  bool all_found = true;
  for (size_t s = 0; s < model.num_stages(); ++s) {
    const std::string stage = model.stage_name(s);
    const auto rows = sweep(stage, {stage + ".*"});
    LayerChoice choice{stage, std::nullopt, 0};
    if (const QuantizeRow* b = recommend(rows)) {
      choice.fmt = b->fmt;
      choice.error = b->error;
      inject::WeightTargets(*combined, {stage + ".*"}, b->fmt);  // stores that stage in place
    } else {
      all_found = false;
    }
    res.layers.push_back(choice);
    res.layer_rows.insert(res.layer_rows.end(), rows.begin(), rows.end());
  }
  if (all_found) {
    res.combined_error = models::evaluate_error(*combined, images, labels, options.batch_);
  }
  return res;
}

std::string quantize_csv(const QuantizeResult& result, const std::string& checkpoint,
                         const std::string& model_name, const std::string& dataset) {
  std::ostringstream csv;
  csv << "checkpoint,model,dataset,scope,format,bits,int_bits,frac_bits,error,float_error,"
         "bound,within,max_quantization_error,bits_per_weight\n";
  for (const auto* rows : {&result.rows, &result.layer_rows}) {
    for (const auto& r : *rows) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "%s,%d,%d,%d,%.17g,%.17g,%.17g,%d,%.17g,%.17g\n",
                    r.fmt.spec().c_str(), r.fmt.width(), r.fmt.int_bits(), r.fmt.frac_bits(),
                    r.error, result.float_error, result.bound, r.within ? 1 : 0,
                    r.max_quantization_error, r.bits_per_weight);
      csv << analysis::csv_field(checkpoint) << ',' << model_name << ','
          << analysis::csv_field(dataset) << ',' << r.scope << ',' << buf;
    }
  }
  return csv.str();
}

}  // namespace ares::campaign
