#pragma once
/// Tensors saved from Python with torch.save(), as a dataset: any model's inputs (a language
/// model's token windows, features, images of any size) from the command line
/// (docs/datasets.md).

#include <string>

#include "ares/data/dataset.h"

namespace ares::data {

/// Whether `path` names a tensor file for load_tensor_file: it ends in ".pt" or ".pth" and is
/// not a directory.
bool is_tensor_file(const std::string& path);

/// Reads a dict saved by torch.save(): the test split from "test_x" and "test_y" (or "x" and
/// "y"), the training split from "train_x" and "train_y" when present (unless `test_only`).
/// Inputs of any shape N x ... become float32 (integer token indices stay exact up to 2^24);
/// labels, of any integer type, become int64 N and must be >= 0; num_classes is the largest
/// label + 1. Each Dataset's name and source are `path`.
///
/// Throws ares::InputError naming the file and the key: no such file, not a torch.save() file
/// or not a plain dict (an OrderedDict such as a state_dict cannot be read by LibTorch),
/// a missing key (listing those present), a value that is not a tensor, a floating-point or
/// negative label, counts that differ, an empty split.
///
/// Example (Python):  torch.save({"x": windows.float(), "y": next_chars}, "windows.pt")
///   auto test = ares::data::load_tensor_file("windows.pt", /*test_only=*/true).test;
Split load_tensor_file(const std::string& path, bool test_only = false);

}  // namespace ares::data
