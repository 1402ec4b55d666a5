#pragma once
/// Sparse reads and writes of float32 tensors on any device, and faults applied through them.
///
/// A plan touches few values. For a tensor on a GPU only those values cross to the host and
/// only the changed ones cross back: one index_select and one index_put_ per tensor, whatever
/// its size. The same code runs on CPU tensors, which is how CI tests the GPU path.

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "ares/fault/fault_model.h"
#include "ares/format/format.h"

namespace ares::inject {

/// The values of the contiguous float32 tensor `t` (any device) at flat positions `index`,
/// on the host.
std::vector<float> gather_values(const torch::Tensor& t, const std::vector<int64_t>& index);

/// Writes `values[i]` at flat position `index[i]` of the contiguous float32 tensor `t` (any
/// device) with one index_put_, outside autograd.
void put_values(const torch::Tensor& t, const std::vector<int64_t>& index,
                const std::vector<float>& values);

/// What one faults_at() call did.
struct SparseFaultCount {
  uint64_t changed = 0;    ///< values whose code changed (and were written)
  uint64_t nonfinite = 0;  ///< of those, values that became NaN or Inf
};

/// Applies one plan, `hits` from fault::sample_hits over the values of `tensors` seen as one
/// index space (in order), drawing from the same `rng`. Each hit value is read, encoded in
/// `fmt`, given its new code by fault::apply_hit and, when the code changed, written back as
/// decode(new code). Every other value keeps its float bits. The tensors must be float32;
/// non-contiguous ones are written through a contiguous copy. Bit for bit the result of
/// encoding every value, fault::sample_faults and writing its changes, at O(hits) host work.
SparseFaultCount faults_at(fault::Rng& rng, const std::vector<fault::Hit>& hits,
                           const std::vector<torch::Tensor>& tensors, const format::Format& fmt,
                           uint32_t faultable_mask, const fault::FaultModel& model);

}  // namespace ares::inject
