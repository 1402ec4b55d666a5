#pragma once
// Bit-for-bit tensor comparison for the unit tests (NaN payloads and -0 included).

#include <torch/types.h>

#include <cstring>

namespace ares::testing {

/// True when `a` and `b` have the same shape, dtype and bytes. Either may be on any device.
inline bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes() || a.scalar_type() != b.scalar_type()) return false;
  auto ca = a.detach().cpu().contiguous(), cb = b.detach().cpu().contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), size_t(ca.numel()) * ca.element_size()) == 0;
}

}  // namespace ares::testing
