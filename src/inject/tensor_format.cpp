#include "ares/inject/tensor_format.h"

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "ares/common/error.h"
#include "ares/inject/sparse.h"

namespace ares::inject {

namespace {

// Fixed point, as format.cpp does it: scale in double (exact), NaN to 0, saturate, round half
// to even, scale back and round to float. Adding +0.0 turns -0 into +0: encode never stores
// a negative zero.
torch::Tensor quantize_fixed(const format::Format& fmt, const torch::Tensor& x) {
  const int w = fmt.width();
  const double scale = std::ldexp(1.0, fmt.frac_bits());
  const double hi = std::ldexp(1.0, w - 1) - 1;
  const double lo = fmt.kind() == format::Kind::kFixedSm ? -hi : -std::ldexp(1.0, w - 1);
  auto s = torch::nan_to_num(x.to(torch::kFloat64) * scale, 0.0, hi, lo).clamp(lo, hi);
  return (s.round() * (1.0 / scale) + 0.0).to(torch::kFloat32);
}

// LibTorch 1.13 has no 8-bit float dtype, so fp8 goes through Format on the host: one copy
// there and back, NaN and -0 exactly as Format stores them.
torch::Tensor quantize_on_host(const format::Format& fmt, const torch::Tensor& x) {
  torch::Tensor h = x.to(torch::kCPU).contiguous().clone();
  float* p = h.data_ptr<float>();
  fmt.quantize(p, p, static_cast<std::size_t>(h.numel()));
  return h.to(x.device()).contiguous();
}

}  // namespace

torch::Tensor quantize_tensor(const format::Format& fmt, const torch::Tensor& x) {
  ARES_CHECK(x.scalar_type() == torch::kFloat32, "quantize: expected a float32 tensor, got ",
             x.scalar_type());
  ARES_CHECK(!fmt.is_scaled(), "format '", fmt.spec(),
             "' is scaled: its scales are stored with the weights, so only the weight site "
             "stores it (an activation would need a calibrated scale)");
  torch::NoGradGuard no_grad;
  torch::Tensor q;
  switch (fmt.kind()) {
    case format::Kind::kFloat32:
      return x.detach().clone(torch::MemoryFormat::Contiguous);
    case format::Kind::kFloat16:
      q = x.detach().to(torch::kHalf).to(torch::kFloat32);
      break;
    case format::Kind::kBFloat16:
      q = x.detach().to(torch::kBFloat16).to(torch::kFloat32);
      break;
    case format::Kind::kFixed2c:
    case format::Kind::kFixedSm:
      return quantize_fixed(fmt, x.detach()).contiguous();
    case format::Kind::kFloat8E4M3:
    case format::Kind::kFloat8E5M2:
    case format::Kind::kFloat6E2M3:
    case format::Kind::kFloat6E3M2:
    case format::Kind::kFloat4E2M1:
    case format::Kind::kE8M0:
    case format::Kind::kAdaptivFloat:
      return quantize_on_host(fmt, x.detach());
  }
  q = q.contiguous();
  // NaN keeps its sign and top payload bits in Format, not through the tensor conversions.
  const auto nan = torch::isnan(x.detach()).view({-1});
  if (nan.any().item<bool>()) {
    const auto where = nan.nonzero().view({-1}).to(torch::kCPU).contiguous();
    std::vector<int64_t> index(where.data_ptr<int64_t>(),
                               where.data_ptr<int64_t>() + where.numel());
    std::vector<float> values = gather_values(x.detach().contiguous(), index);
    for (float& v : values) v = fmt.quantize(v);
    put_values(q, index, values);
  }
  return q;
}

}  // namespace ares::inject
