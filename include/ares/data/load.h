#pragma once
/// The one entry point that turns a `--dataset` argument into tensors.

#include <string>

#include "ares/data/dataset.h"

namespace ares::data {

/// Loads any dataset Ares knows, choosing the reader from `name_or_dir`:
///   - "cifar10" or "cifar-10": load_cifar10, looking in the directories `search_dirs` gives
///     for "cifar-10" and for "cifar10";
///   - a directory (or a name whose first directory from `search_dirs` exists) holding
///     test_batch.bin, directly or in `cifar-10-batches-bin/`: load_cifar10;
///   - a file ending in .pt or .pth: load_tensor_file (tensors saved by torch.save());
///   - anything else ("fashion-mnist", "mnist", a directory of IDX files): load_mnist_like.
/// Images are float32 N x C x H x W in [0, 1] (C = 1 for MNIST-like data, 3 for CIFAR-10; a
/// tensor file's inputs keep their shape), labels int64 N. `test_only` leaves `train` empty
/// and skips the training files.
///
/// Throws ares::InputError from the chosen reader: naming the file that is missing or bad, or
/// listing the directories searched when a name is found nowhere. CIFAR-10 is never installed
/// for you: download the "CIFAR-10 binary version", cifar-10-binary.tar.gz, from
/// https://www.cs.toronto.edu/~kriz/cifar.html and unpack it into $ARES_DATA_DIR/cifar-10 or
/// ~/.cache/ares/data/cifar-10 (see docs/datasets.md).
///
/// Example:
///   auto test = ares::data::load_dataset("fashion-mnist", /*test_only=*/true).test;
Split load_dataset(const std::string& name_or_dir, bool test_only = false);

}  // namespace ares::data
