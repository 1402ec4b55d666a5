#pragma once
// The training recipe on the command line (--optimizer, --momentum, --nesterov,
// --weight-decay, --schedule, --warmup, --augment), shared by `ares train` and `ares study`.

#include <string>

#include "ares/train/train.h"
#include "args.h"

namespace ares::cli {

/// `base` (its epochs already set) with the recipe flags of `args` applied; the defaults are
/// Adam, no momentum or weight decay, a constant rate, no warm-up and no augmentation. Throws
/// ares::InputError "COMMAND: --warmup must be >= 0 and less than --epochs ..." for a bad
/// warm-up; train::check_recipe checks the rest.
train::TrainOptions with_recipe(train::TrainOptions base, const Args& args,
                                const std::string& command);

}  // namespace ares::cli
