#include "ares/models/device.h"

#include <torch/cuda.h>

#include "ares/common/device_name.h"
#include "ares/common/error.h"

namespace ares::models {

torch::Device find_device(const std::string& name, const std::string& what) {
  check_device_name(name, what);
  if (name == "cpu") return torch::Device(torch::kCPU);
  ARES_CHECK(torch::cuda::is_available(), what, ": --device ", name,
             ": no CUDA device here (this LibTorch ",
             torch::cuda::device_count() > 0 ? "sees GPUs but cannot use them" : "sees no GPU",
             "; a CUDA build of LibTorch and a GPU are needed, see docs/campaign.md)");
  torch::Device device(name);
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  ARES_CHECK(!device.has_index() || device.index() < count, what, ": --device ", name, ": only ",
             count, " CUDA device(s) here");
  return device;
}

}  // namespace ares::models
