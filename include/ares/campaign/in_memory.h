#pragma once
/// Campaigns on models and data a program already holds: no checkpoint file, no dataset on
/// disk. The CLI reads files and comes through `run_campaign(spec, store)`; a program of your
/// own (or the Python API) builds or loads its models, holds its evaluation set as tensors,
/// and comes through here. The rows are the same either way (tested).
///
/// Example:
///   auto model = models::create("mnist_fc");       // ... trained by you
///   campaign::CampaignSpec spec;
///   spec.checkpoints = {"my-net"};                  // the instances' names, for the rows
///   spec.configs = {{"q2.6-2c", "none"}, {"q2.6-sm", "none"}};
///   auto result = campaign::run_campaign(spec, {{model}, images, labels});

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "ares/campaign/campaign.h"
#include "ares/models/staged_model.h"

namespace ares::campaign {

/// The instances and the evaluation set of an in-memory campaign.
struct CampaignInputs {
  /// One model per instance, named by spec.checkpoints[i] in the rows and the summaries. The
  /// campaign works on (batch-norm folded) copies: the models themselves are not changed.
  std::vector<std::shared_ptr<models::StagedModel>> models;
  torch::Tensor images;  ///< N x one sample's shape, float32
  torch::Tensor labels;  ///< N class indices, int64
};

/// Runs the campaign of `spec` on `inputs` (spec.checkpoints names the instances; spec.dataset,
/// if set, names the data in the summaries). With a store, the store's identity holds a hash
/// of every model's parameters, so that a resumed campaign is refused when a model changed.
/// Throws ares::InputError for a bad spec, a model count that differs from
/// spec.checkpoints, null models, or an evaluation set of the wrong shape or type.
CampaignResult run_campaign(const CampaignSpec& spec, const CampaignInputs& inputs,
                            ResultStore* store = nullptr);

/// FNV-1a over a model's parameter and buffer names, shapes and float32 bytes (hex).
std::string parameter_hash(const models::StagedModel& model);

}  // namespace ares::campaign
