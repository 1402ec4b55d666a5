#include "ares/train/augment.h"

#include <torch/torch.h>

#include "ares/common/error.h"

namespace ares::train {
namespace {

constexpr uint64_t kAugmentTag = 0x6175676d;  // "augm": augmentation streams

}  // namespace

CropFlip draw_crop_flip(fault::Rng& rng, int64_t pad) {
  CropFlip t;
  t.dy = int64_t(rng.uniform(uint64_t(2 * pad + 1)));
  t.dx = int64_t(rng.uniform(uint64_t(2 * pad + 1)));
  t.flip = rng.uniform(2) == 1;
  return t;
}

torch::Tensor apply_crop_flip(const torch::Tensor& image, const CropFlip& t, int64_t pad) {
  ARES_ASSERT(image.dim() == 3, "apply_crop_flip: expected C x H x W, got ", image.sizes());
  ARES_ASSERT(t.dy >= 0 && t.dy <= 2 * pad && t.dx >= 0 && t.dx <= 2 * pad,
              "apply_crop_flip: offset outside the padding");
  const int64_t h = image.size(1), w = image.size(2);
  auto out =
      torch::constant_pad_nd(image, {pad, pad, pad, pad}, 0).narrow(1, t.dy, h).narrow(2, t.dx, w);
  if (t.flip) out = out.flip({2});
  return out.contiguous();
}

torch::Tensor augment_batch(const torch::Tensor& images, const torch::Tensor& indices,
                            uint64_t seed, int epoch) {
  ARES_ASSERT(images.dim() == 4 && indices.dim() == 1 && indices.size(0) == images.size(0),
              "augment_batch: expected B x C x H x W images and B indices");
  auto idx = indices.to(torch::kInt64).contiguous();
  const int64_t* sample = idx.data_ptr<int64_t>();
  auto out = torch::empty_like(images);
  for (int64_t i = 0; i < images.size(0); ++i) {
    fault::Rng rng(fault::stream_key(seed, {kAugmentTag, uint64_t(epoch), uint64_t(sample[i])}));
    out[i].copy_(apply_crop_flip(images[i], draw_crop_flip(rng)));
  }
  return out;
}

}  // namespace ares::train
