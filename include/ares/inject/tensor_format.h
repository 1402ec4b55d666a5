#pragma once
/// Number formats applied to whole tensors on their own device.

#include <torch/types.h>

#include "ares/format/format.h"

namespace ares::inject {

/// Every value of the float32 tensor `x` stored in `fmt` and read back, computed with tensor
/// operations on x's device (a GPU tensor stays there): bit for bit Format::quantize of each
/// value, -0 and saturation included. NaN values, whose payload the tensor conversions do not
/// keep as Format does, are quantized on the host, sparsely (there are usually none). The fp8
/// formats, which have no LibTorch dtype, are quantized on the host entirely and copied back, as
/// are the MX element formats. Throws ares::InputError for a scaled format (format.h), whose
/// values depend on scales only the weight targets compute.
torch::Tensor quantize_tensor(const format::Format& fmt, const torch::Tensor& x);

}  // namespace ares::inject
