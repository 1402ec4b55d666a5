#pragma once
/// Checkpoints: a model's parameters plus metadata, in one self-checking binary file.
///
/// Layout (little-endian): magic "ARESCKPT", u32 version (1), u32 metadata count, then
/// (u32 length, key bytes, u32 length, value bytes) per entry, u32 tensor count, then per
/// tensor (u32 length, name, u32 ndim, i64 dims..., float32 data), and last a u64 FNV-1a hash
/// of every byte before it. The same model and metadata always give the same bytes.

#include <map>
#include <memory>
#include <string>

#include "ares/models/staged_model.h"

namespace ares::models {

using Metadata = std::map<std::string, std::string>;

/// A model loaded from a checkpoint, with its metadata ("model", "dataset", "seed", ...).
struct Loaded {
  std::shared_ptr<StagedModel> model;
  Metadata meta;
  std::string path;
};

/// Writes `model`'s parameters and `meta` to `path` atomically (a temporary file renamed into
/// place, so a crash never leaves a half-written checkpoint). meta["model"] is set to
/// model.name(). Throws ares::InputError when the file cannot be written.
void save_checkpoint(const std::string& path, const StagedModel& model, Metadata meta);

/// Reads a checkpoint, builds the zoo model it names and loads its parameters.
/// Throws ares::InputError naming the file when it is missing, truncated, corrupt (hash), of
/// another format, names an unknown model, or its tensors do not match the model's.
Loaded load_checkpoint(const std::string& path);

}  // namespace ares::models
