#pragma once
/// CIFAR-10's standard training augmentation: a random crop of the image padded by 4 zero
/// pixels on every side, then a horizontal flip with probability 1/2 (torchvision's
/// RandomCrop(32, padding=4) and RandomHorizontalFlip()), drawn from Ares's own streams.

#include <torch/types.h>

#include <cstdint>

#include "ares/fault/rng.h"

namespace ares::train {

/// Zero pixels added on every side before the crop (`--augment crop-flip`).
constexpr int64_t kCropPadding = 4;

/// One sample's transform: the crop's top-left corner (dy, dx) in the padded image, each in
/// [0, 2 * pad] (pad, pad: the image itself), and whether the crop is mirrored left to right.
struct CropFlip {
  int64_t dy = 0;
  int64_t dx = 0;
  bool flip = false;
};

/// Draws a transform from `rng`: dy = rng.uniform(2 * pad + 1), then dx the same way, then
/// flip = rng.uniform(2) == 1 (three draws, in that order).
CropFlip draw_crop_flip(fault::Rng& rng, int64_t pad = kCropPadding);

/// `image` (C x H x W) transformed: out[c][y][x] = image[c][y + dy - pad][x + dx - pad], 0
/// outside the image, then with `t.flip` columns reversed (out[c][y][x] = out[c][y][W-1-x]).
/// Precondition: 0 <= dy, dx <= 2 * pad.
torch::Tensor apply_crop_flip(const torch::Tensor& image, const CropFlip& t,
                              int64_t pad = kCropPadding);

/// A batch (B x C x H x W) of dataset samples `indices` (B, int64: their positions in the
/// training set) augmented for `epoch`: sample i's transform is drawn from
/// Rng(stream_key(seed, {tag, epoch, indices[i]})), so it depends on the seed, the epoch and
/// the sample only, not on the batch size, the shuffle or the thread count.
///
/// Example:
///   auto x = train.images.index_select(0, idx);
///   x = augment_batch(x, idx, /*seed=*/1, /*epoch=*/0);
torch::Tensor augment_batch(const torch::Tensor& images, const torch::Tensor& indices,
                            uint64_t seed, int epoch);

}  // namespace ares::train
