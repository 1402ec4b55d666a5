#pragma once
/// CIFAR-10 in its binary version (cifar-10-binary.tar.gz).
///
/// Ares cannot install CIFAR-10 for you: download the "CIFAR-10 binary version",
/// cifar-10-binary.tar.gz, from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it into
/// $ARES_DATA_DIR/cifar-10 or ~/.cache/ares/data/cifar-10 (the archive's own
/// cifar-10-batches-bin/ subdirectory may stay as it is). See docs/datasets.md.

#include <torch/types.h>

#include <string>

#include "ares/data/dataset.h"

namespace ares::data {

/// Loads CIFAR-10 from its binary batch files.
///
/// `name_or_dir` is a directory, or a dataset name looked up with `search_dirs` (the names
/// "cifar10" and "cifar-10" are each looked up as both "cifar-10" and "cifar10"). In a
/// directory the files are taken from the directory itself or from its
/// `cifar-10-batches-bin/` subdirectory. Train is data_batch_1.bin .. data_batch_5.bin
/// concatenated in that order (all five required unless `test_only`), test is test_batch.bin.
/// Each file is a sequence of 3073-byte records: 1 label byte (0..9), then 3072 pixel bytes
/// (the 1024 red, 1024 green and 1024 blue values of a 32x32 image, each row-major).
///
/// Returns images as float32 N x 3 x 32 x 32 with channels R, G, B and pixels divided by 255
/// (so in [0, 1], no mean/std normalisation), and labels as int64 N. Each Dataset's `name` is
/// `name_or_dir`, its `source` the directory the files were read from. `test_only` leaves
/// `train` empty and does not touch the training files.
///
/// Throws ares::InputError, naming the file, when files are missing (the message lists every
/// missing one), when a file is empty or its size is not a multiple of 3073 bytes, when a
/// record's label is above 9, or when a file cannot be read; and, listing the directories
/// searched, when a name is found nowhere.
///
/// Example:
///   auto s = ares::data::load_cifar10("cifar-10");  // s.train.size() == 50000
Split load_cifar10(const std::string& name_or_dir, bool test_only = false);

/// Writes one CIFAR-10 binary batch file (the format load_cifar10 reads). For tests and for
/// users converting their own data.
///
/// `images_uint8` is uint8 N x 3 x 32 x 32 (channels R, G, B; raw 0..255 pixel values),
/// `labels` an integer tensor of N values in 0..9; N >= 1. Either may be non-contiguous.
/// Throws ares::InputError naming `path` on a wrong dtype, shape or label, or a failed write.
void write_cifar10_batch(const std::string& path, const torch::Tensor& images_uint8,
                         const torch::Tensor& labels);

/// True when `dir` holds test_batch.bin, directly or in its `cifar-10-batches-bin/`
/// subdirectory; i.e. when load_cifar10 should be used for it. Never throws.
bool is_cifar10_dir(const std::string& dir);

}  // namespace ares::data
