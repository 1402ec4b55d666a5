#pragma once
/// The model zoo, by name.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ares/models/staged_model.h"

namespace ares::models {

/// A zoo entry.
struct ModelInfo {
  std::string name;
  std::string description;
  std::string dataset;  ///< the dataset family it expects ("mnist-like")
  std::function<std::shared_ptr<StagedModel>()> make;
};

/// Every registered model, in registration order.
const std::vector<ModelInfo>& zoo();
/// Builds model `name` with freshly initialised parameters (from torch's global generator).
/// Throws ares::InputError listing the known names when `name` is unknown.
std::shared_ptr<StagedModel> create(const std::string& name);
/// Adds a model to the zoo (e.g. from a user's program). Throws if the name is taken.
void register_model(ModelInfo info);

}  // namespace ares::models
