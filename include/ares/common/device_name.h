#pragma once
/// Device names as the command line and TOML specs spell them, checked without LibTorch
/// (campaign specs are parsed, and fuzzed, in torch-free code). models/device.h finds the
/// device itself.

#include <string>

#include "ares/common/error.h"

namespace ares {

/// Checks the spelling of a device name: "cpu", "cuda" or "cuda:N" (N up to two digits).
/// Throws ares::InputError `WHAT: device 'NAME' is not cpu, cuda or cuda:N` otherwise.
inline void check_device_name(const std::string& name, const std::string& what) {
  const bool cuda_index = name.size() > 5 && name.size() <= 7 && name.compare(0, 5, "cuda:") == 0 &&
                          name.find_first_not_of("0123456789", 5) == std::string::npos;
  ARES_CHECK(name == "cpu" || name == "cuda" || cuda_index, what, ": device '", name,
             "' is not cpu, cuda or cuda:N");
}

}  // namespace ares
