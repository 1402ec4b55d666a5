#include "ares/format/scaled.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ares/common/error.h"

namespace ares::format {
namespace {

// The exponent of an MX element's largest normal value.
int mx_emax(const Format& element) {
  switch (element.kind()) {
    case Kind::kFloat8E4M3:
      return 8;
    case Kind::kFloat8E5M2:
      return 15;
    case Kind::kFloat6E2M3:
      return 2;
    case Kind::kFloat6E3M2:
      return 4;
    case Kind::kFloat4E2M1:
      return 2;
    case Kind::kAdaptivFloat:
      return (1 << element.int_bits()) - 1;  // the top exponent holds the largest magnitude
    default:
      return 0;  // q2.6-2c, MX's INT8
  }
}

// One group of a scaled integer format: its scale and zero point by PyTorch's MinMaxObserver,
// then every value by fake_quantize (the header's rules, in float32 as torch computes them).
void quantize_int_group(const Format& fmt, const Format& element, const Format& scale_fmt,
                        const float* x, uint64_t n, uint32_t* codes, uint32_t* scale_code,
                        uint32_t* zero_code) {
  const int bits = fmt.width();
  const float qmin = -std::ldexp(1.0f, bits - 1);
  const float qmax = std::ldexp(1.0f, bits - 1) - 1.0f;
  float lo = 0, hi = 0;
  for (uint64_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  const float eps = std::numeric_limits<float>::epsilon();
  float scale = 0, zero = 0;
  if (fmt.scaling().zero_point) {
    scale = std::max((hi - lo) / (qmax - qmin), eps);
  } else {
    scale = std::max(std::max(-lo, hi) / ((qmax - qmin) / 2.0f), eps);
  }
  *scale_code = scale_fmt.encode(scale);
  scale = scale_fmt.decode(*scale_code);  // the stored scale quantizes the values
  if (fmt.scaling().zero_point) {
    zero = std::clamp(qmin - std::nearbyint(lo / scale), qmin, qmax);
  }
  *zero_code = fmt.scaling().zero_point ? element.encode(zero) : 0u;
  const float inv = 1.0f / scale;
  for (uint64_t i = 0; i < n; ++i) {
    const float q = std::clamp(zero + std::nearbyint(x[i] * inv), qmin, qmax);
    codes[i] = element.encode(q);
  }
}

void quantize_mx_block(const Format& element, const float* x, uint64_t n, uint32_t* codes,
                       uint32_t* scale_code) {
  float amax = 0;
  for (uint64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  int shared = -127;
  if (amax > 0) {
    int e = 0;
    std::frexp(double(amax), &e);  // amax = f * 2^e, f in [0.5, 1): floor(log2 amax) = e - 1
    shared = std::clamp(e - 1 - mx_emax(element), -127, 127);
  }
  *scale_code = uint32_t(shared + 127);
  for (uint64_t i = 0; i < n; ++i) {
    codes[i] = element.encode(float(std::ldexp(double(x[i]), -shared)));
  }
}

}  // namespace

GroupLayout group_layout(const Format& fmt, uint64_t numel, uint64_t dim0) {
  ARES_ASSERT(fmt.is_scaled() && numel > 0 && dim0 > 0 && numel % dim0 == 0);
  GroupLayout l;
  const Granularity g = fmt.scaling().granularity;
  l.rows = g == Granularity::kTensor ? 1 : dim0;
  l.row_len = numel / l.rows;
  l.group_len = g == Granularity::kBlock
                    ? std::min<uint64_t>(uint64_t(fmt.scaling().block), l.row_len)
                    : l.row_len;
  return l;
}

GroupScale group_scale(const Format& fmt, uint32_t scale_code, uint32_t zero_code) {
  GroupScale g;
  g.scale = fmt.scale_format().decode(scale_code);
  g.zero_point = fmt.scaling().zero_point ? fmt.element().decode(zero_code) : 0.0f;
  return g;
}

float scaled_value(const Format& fmt, uint32_t code, const GroupScale& g) {
  const float e = fmt.element().decode(code);
  if (fmt.scaling().scale_kind == Kind::kE8M0) {
    // X is a power of two (or NaN): the product is exact unless it leaves float's range.
    return float(double(e) * double(g.scale));
  }
  return (e - g.zero_point) * g.scale;
}

void quantize_scaled(const Format& fmt, const GroupLayout& layout, const float* x, uint32_t* codes,
                     uint32_t* scales, uint32_t* zeros) {
  ARES_ASSERT(fmt.is_scaled());
  const Format element = fmt.element();
  const Format scale_fmt = fmt.scale_format();
  for (uint64_t g = 0; g < layout.groups(); ++g) {
    const uint64_t b = layout.begin(g), n = layout.end(g) - b;
    if (fmt.scaling().scale_kind == Kind::kE8M0) {  // MX blocks, AdaptivFloat tensors
      quantize_mx_block(element, x + b, n, codes + b, scales + g);
      zeros[g] = 0;
    } else {
      quantize_int_group(fmt, element, scale_fmt, x + b, n, codes + b, scales + g, zeros + g);
    }
  }
}

void decode_scaled(const Format& fmt, const GroupLayout& layout, const uint32_t* codes,
                   const uint32_t* scales, const uint32_t* zeros, float* out) {
  for (uint64_t g = 0; g < layout.groups(); ++g) {
    const GroupScale s = group_scale(fmt, scales[g], zeros[g]);
    for (uint64_t i = layout.begin(g); i < layout.end(g); ++i)
      out[i] = scaled_value(fmt, codes[i], s);
  }
}

}  // namespace ares::format
