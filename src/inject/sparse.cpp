#include "ares/inject/sparse.h"

#include <torch/torch.h>

#include <cmath>

#include "ares/common/error.h"

namespace ares::inject {

namespace {

torch::Tensor index_tensor(const std::vector<int64_t>& index, const torch::Device& device) {
  return torch::tensor(index, torch::kInt64).to(device);
}

}  // namespace

std::vector<float> gather_values(const torch::Tensor& t, const std::vector<int64_t>& index) {
  ARES_ASSERT(t.is_contiguous() && t.scalar_type() == torch::kFloat32, "gather_values: tensor");
  if (index.empty()) return {};
  torch::NoGradGuard no_grad;
  auto picked = t.detach().view({-1}).index_select(0, index_tensor(index, t.device()));
  picked = picked.to(torch::kCPU).contiguous();
  const float* p = picked.data_ptr<float>();
  return std::vector<float>(p, p + index.size());
}

void put_values(const torch::Tensor& t, const std::vector<int64_t>& index,
                const std::vector<float>& values) {
  ARES_ASSERT(t.is_contiguous() && t.scalar_type() == torch::kFloat32, "put_values: tensor");
  ARES_ASSERT(index.size() == values.size(), "put_values: ", index.size(), " positions, ",
              values.size(), " values");
  if (index.empty()) return;
  torch::NoGradGuard no_grad;
  auto flat = t.detach().view({-1});
  flat.index_put_({index_tensor(index, t.device())},
                  torch::tensor(values, torch::kFloat32).to(t.device()));
}

SparseFaultCount faults_at(fault::Rng& rng, const std::vector<fault::Hit>& hits,
                           const std::vector<torch::Tensor>& tensors, const format::Format& fmt,
                           uint32_t faultable_mask, const fault::FaultModel& model) {
  SparseFaultCount count;
  uint64_t offset = 0;  // first index of tensor k in the plan's index space
  size_t h = 0;         // hits are sorted by index: walk the tensors once, in order
  for (const auto& t : tensors) {
    ARES_CHECK(t.scalar_type() == torch::kFloat32, "faults need float32 tensors, got ",
               t.scalar_type());
    const uint64_t end = offset + uint64_t(t.numel());
    const size_t first = h;
    std::vector<int64_t> index;
    for (; h < hits.size() && hits[h].index < end; ++h) {
      index.push_back(int64_t(hits[h].index - offset));
    }
    if (!index.empty()) {
      const torch::Tensor dense = t.is_contiguous() ? t : t.contiguous();
      const std::vector<float> old = gather_values(dense, index);
      std::vector<int64_t> at;
      std::vector<float> values;
      for (size_t i = 0; i < index.size(); ++i) {
        const uint32_t code = fmt.encode(old[i]);
        const uint32_t fresh =
            fault::apply_hit(rng, code, hits[first + i], fmt, faultable_mask, model);
        if (fresh == code) continue;
        const float v = fmt.decode(fresh);
        if (!std::isfinite(v)) ++count.nonfinite;
        at.push_back(index[i]);
        values.push_back(v);
      }
      count.changed += at.size();
      put_values(dense, at, values);
      if (!at.empty() && !dense.is_same(t)) {
        torch::NoGradGuard no_grad;
        t.detach().copy_(dense);
      }
    }
    offset = end;
  }
  ARES_ASSERT(h == hits.size(), "a hit at ", hits[h].index, " lies beyond the ", offset,
              " values of the tensors");
  return count;
}

}  // namespace ares::inject
