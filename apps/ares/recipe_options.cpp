#include "recipe_options.h"

#include "ares/common/error.h"

namespace ares::cli {

train::TrainOptions with_recipe(train::TrainOptions base, const Args& args,
                                const std::string& command) {
  const long long warmup = args.get_int("warmup", 0);
  ARES_CHECK(warmup >= 0 && warmup < base.epochs_, command,
             ": --warmup must be >= 0 and less than --epochs (", base.epochs_, "), got ", warmup);
  return base.optimizer(args.get_or("optimizer", "adam"))
      .momentum(args.get_double("momentum", 0))
      .nesterov(args.has("nesterov"))
      .weight_decay(args.get_double("weight-decay", 0))
      .schedule(args.get_or("schedule", "constant"))
      .warmup_epochs(int(warmup))
      .augment(args.get_or("augment", "none"));
}

}  // namespace ares::cli
