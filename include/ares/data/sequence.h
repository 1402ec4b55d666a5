#pragma once
/// Images read as sequences, for recurrent models (docs/sequences.md).

#include <string>

#include "ares/data/dataset.h"

namespace ares::data {

/// The suffix that turns an image dataset name into its row-sequential form:
/// "fashion-mnist-seq" is Fashion-MNIST as 28 steps of 28 pixels.
inline constexpr const char* kSequenceSuffix = "-seq";

/// Row-sequential images: `base` ("fashion-mnist", "mnist", or a directory) loaded with
/// load_dataset, each single-channel 1 x H x W image becoming H steps of W pixels, so images
/// are float32 N x H x W (pixels in [0, 1] as before) and a recurrent model's input shape is
/// {H, W}. Each Dataset's `name` is `name`. Throws ares::InputError when the images have more
/// than one channel, and from load_dataset.
///
/// Example:
///   auto s = ares::data::load_row_sequential("fashion-mnist", false, "fashion-mnist-seq");
///   // s.train.images: 60000 x 28 x 28
Split load_row_sequential(const std::string& base, bool test_only, const std::string& name);

}  // namespace ares::data
