#pragma once
/// Devices by name, as the command line and TOML specs spell them.

#include <torch/types.h>

#include <string>

namespace ares::models {

/// The device `name` names (spelled as check_device_name in common/device_name.h wants), once
/// it is known to be here. Throws ares::InputError in one line
/// (`WHAT: --device cuda: no CUDA device here (...)`) when this LibTorch or machine has no
/// such device.
torch::Device find_device(const std::string& name, const std::string& what);

}  // namespace ares::models
