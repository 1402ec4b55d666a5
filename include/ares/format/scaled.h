#pragma once
/// Scaled formats applied to one tensor: which values share a scale, how the scales and zero
/// points are chosen, and how a value is read back from its code and its group's metadata.
///
/// Groups are runs of consecutive values in the tensor's row-major order: the whole tensor
/// (intN), one output channel, i.e. one slice along dim 0 (intN-ch), or blocks of 32 within an
/// output channel, the last block of a channel holding what is left (mx...). A 1-D tensor (a
/// bias) is one channel.
///
/// Scales of scaled integers, as PyTorch's MinMaxObserver (torch.ao.quantization, qint8 with
/// quant_min = -2^(N-1), quant_max = 2^(N-1) - 1) computes them, in float32 over the group:
///   lo = min(min x, 0), hi = max(max x, 0)
///   symmetric:  scale = max(-lo, hi) / ((quant_max - quant_min) / 2), zero point 0
///   asymmetric: scale = (hi - lo) / (quant_max - quant_min),
///               zero point = clamp(quant_min - round(lo / scale), quant_min, quant_max)
///   scale = max(scale, 2^-23) (torch.finfo(float32).eps); with -s16 the scale is then rounded
///   to fp16, and that stored scale is the one the values are quantized with.
/// A value is stored as q = clamp(round(x * (1 / scale)) + zero point, quant_min, quant_max)
/// (round half to even; 1 / scale in float32) and read as (q - zero point) * scale in float32:
/// torch.fake_quantize_per_tensor_affine and _per_channel_affine bit for bit.
///
/// MX (OCP MX v1.0, section 6.3): a block's scale is X = 2^(floor(log2 max|x|) - emax), emax the
/// exponent of the element's largest normal value (fp8-e4m3 8, fp8-e5m2 15, fp6-e2m3 2,
/// fp6-e3m2 4, fp4-e2m1 2, mxint8 0), clamped to e8m0's [2^-127, 2^127]; a block of zeros has
/// X = 2^-127. Each element stores x / X in the element format (round to nearest even,
/// saturating). A value is element(code) * X; a NaN scale (code 0xFF, which only a fault
/// writes) makes its whole block NaN.

#include <cstddef>
#include <cstdint>

#include "ares/format/format.h"

namespace ares::format {

/// Where the groups of one tensor lie.
struct GroupLayout {
  uint64_t rows = 1;       ///< output channels (dim 0), or 1
  uint64_t row_len = 0;    ///< values per channel
  uint64_t group_len = 0;  ///< values per group within a channel (the last may hold fewer)
  uint64_t groups_per_row() const { return (row_len + group_len - 1) / group_len; }
  uint64_t groups() const { return rows * groups_per_row(); }
  /// The group of value `i` (row-major index).
  uint64_t group_of(uint64_t i) const {
    return (i / row_len) * groups_per_row() + (i % row_len) / group_len;
  }
  /// First value of group `g` and one past its last.
  uint64_t begin(uint64_t g) const {
    return (g / groups_per_row()) * row_len + (g % groups_per_row()) * group_len;
  }
  uint64_t end(uint64_t g) const {
    const uint64_t row_end = (g / groups_per_row() + 1) * row_len;
    const uint64_t e = begin(g) + group_len;
    return e < row_end ? e : row_end;
  }
};

/// The groups of a tensor of `numel` values whose dim 0 has `dim0` entries (1 for a 1-D
/// tensor) under `fmt`. Precondition: fmt.is_scaled(), numel > 0, numel % dim0 == 0.
GroupLayout group_layout(const Format& fmt, uint64_t numel, uint64_t dim0);

/// A group's metadata read as numbers.
struct GroupScale {
  float scale = 1;
  float zero_point = 0;  ///< an integer, 0 without -asym
};

/// The metadata of one group from its stored words: the scale's code (in fmt.scale_format())
/// and the zero point's code (an element code; ignored without -asym).
GroupScale group_scale(const Format& fmt, uint32_t scale_code, uint32_t zero_code);

/// The value of element code `code` in a group with metadata `g`: (element(code) - zero point)
/// * scale, computed as documented above.
float scaled_value(const Format& fmt, uint32_t code, const GroupScale& g);

/// Stores the `numel` values `x` of one tensor in the scaled format `fmt`: the element codes
/// into `codes` (numel), each group's scale code into `scales` and zero-point code into
/// `zeros` (layout.groups() each; zeros are 0 without -asym). Non-finite values are the
/// caller's to refuse (a NaN would make its group's scale NaN).
void quantize_scaled(const Format& fmt, const GroupLayout& layout, const float* x, uint32_t* codes,
                     uint32_t* scales, uint32_t* zeros);

/// The values of one tensor stored in `fmt`: each code read in its group with the group's
/// scale and zero point (scaled_value), into `out` (numel values).
void decode_scaled(const Format& fmt, const GroupLayout& layout, const uint32_t* codes,
                   const uint32_t* scales, const uint32_t* zeros, float* out);

}  // namespace ares::format
