#pragma once
/// Training one instance of a zoo model into a checkpoint: the library call behind
/// `ares train` and `ares study`, with the metadata every checkpoint carries.

#include <cstdint>
#include <string>

#include "ares/data/dataset.h"
#include "ares/models/checkpoint.h"
#include "ares/train/train.h"

namespace ares::campaign {

/// The default training epochs of a zoo model: 10 for mnist_fc (the paper's MNIST network
/// converges slowly at batch 64), 2 for the others (minutes on 2 cores). One rule for
/// train, study and quantize.
int default_epochs(const std::string& model_name);

/// What train_instance did.
struct TrainedInstance {
  std::string path;      ///< the checkpoint's path
  bool written = false;  ///< false: training ended with NaN or Inf parameters
  train::TrainResult result;
  models::Metadata meta;  ///< what the checkpoint holds besides its tensors
};

/// Creates `model_name` seeded with options.seed_ (LibTorch's generator, so the initial
/// weights are the seed's), trains it on `data` (named `dataset` in the metadata) and writes
/// it to `path` with its metadata: dataset, seed, epochs, batch, learning rate, training
/// limit, threads, test error, versions, the recipe (train::recipe_metadata: optimizer,
/// momentum, nesterov, weight_decay, schedule, warmup_epochs, augment), the platform
/// (platform.*), every injection's spec
/// and counts (inject.N.*), the device when not the CPU and the final loss when faults were
/// injected. A model whose parameters end NaN or Inf is not written (Ares refuses such
/// checkpoints on load): `written` is false and the caller decides what that means.
/// `threads` is recorded only (the caller sets the compute threads).
TrainedInstance train_instance(const std::string& model_name, const std::string& dataset,
                               const data::Split& data, const train::TrainOptions& options,
                               int threads, const std::string& path);

/// One line for a trained instance: "PATH  seed S  test error E  (Ts)", with the reason when
/// it was not written.
std::string describe(const TrainedInstance& instance);

}  // namespace ares::campaign
