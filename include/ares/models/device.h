#pragma once
/// Devices by name, as the command line and TOML specs spell them.

#include <torch/types.h>

#include <string>

namespace ares::models {

/// Checks the spelling of a device name: "cpu", "cuda" or "cuda:N". Throws ares::InputError
/// `WHAT: device 'NAME' is not cpu, cuda or cuda:N` otherwise. Needs no GPU.
void check_device_name(const std::string& name, const std::string& what);

/// The device `name` names, once it is known to be here. Throws ares::InputError in one line
/// (`WHAT: --device cuda: no CUDA device here (...)`) when this LibTorch or machine has no
/// such device.
torch::Device find_device(const std::string& name, const std::string& what);

}  // namespace ares::models
