#pragma once
/// Labelled datasets held in memory as tensors.

#include <torch/types.h>

#include <string>
#include <vector>

namespace ares::data {

/// Images (N x C x H x W, float32 in [0, 1]) and labels (N, int64), plus where they came from.
struct Dataset {
  torch::Tensor images;
  torch::Tensor labels;
  std::string name;    ///< "fashion-mnist", "mnist", or the directory given
  std::string source;  ///< directory or files it was read from
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  int64_t num_classes = 10;
};

/// A train/test pair.
struct Split {
  Dataset train;
  Dataset test;
};

/// Directories searched for a dataset NAME, in order:
///   $ARES_DATA_DIR/NAME, $XDG_CACHE_HOME/ares/data/NAME (default ~/.cache/ares/data/NAME),
///   /usr/share/datasets/NAME (Debian's dataset packages).
std::vector<std::string> search_dirs(const std::string& name);

/// Loads an MNIST-format dataset: `name_or_dir` is "fashion-mnist", "mnist" or a directory
/// holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
/// t10k-labels-idx1-ubyte, each plain or .gz. `test_only` skips the training files.
/// Throws ares::InputError naming the file on bad magic, truncation, or mismatched counts,
/// and listing the searched directories when nothing is found.
Split load_mnist_like(const std::string& name_or_dir, bool test_only = false);

/// Reads one IDX file (plain or gzip). Returns a uint8 tensor shaped as the file says.
/// `expected_magic` is 0x00000803 for images, 0x00000801 for labels.
torch::Tensor read_idx(const std::string& path, uint32_t expected_magic);

/// Writes a uint8 tensor as an IDX file (plain, or gzip when path ends in ".gz").
/// For tests and for users converting their own data.
void write_idx(const std::string& path, const torch::Tensor& data);

}  // namespace ares::data
