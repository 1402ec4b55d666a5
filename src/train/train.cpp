#include "ares/train/train.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "ares/common/error.h"
#include "ares/common/progress.h"
#include "ares/common/text.h"
#include "ares/fault/rng.h"
#include "ares/models/device.h"
#include "ares/models/evaluate.h"
#include "ares/train/augment.h"
#include "ares/train/schedule.h"

namespace ares::train {

namespace {

// The optimizer of the recipe over the model's parameters.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainOptions& o,
                                                        std::vector<torch::Tensor> params) {
  if (o.optimizer_ == "sgd") {
    return std::make_unique<torch::optim::SGD>(std::move(params),
                                               torch::optim::SGDOptions(o.learning_rate_)
                                                   .momentum(o.momentum_)
                                                   .nesterov(o.nesterov_)
                                                   .weight_decay(o.weight_decay_));
  }
  return std::make_unique<torch::optim::Adam>(
      std::move(params), torch::optim::AdamOptions(o.learning_rate_).weight_decay(o.weight_decay_));
}

}  // namespace

void check_recipe(const TrainOptions& o, const models::StagedModel& model,
                  const std::string& command) {
  const std::string& c = command;
  ARES_CHECK(o.optimizer_ == "adam" || o.optimizer_ == "sgd", c, ": --optimizer '", o.optimizer_,
             "' is not adam or sgd");
  ARES_CHECK(std::isfinite(o.momentum_) && o.momentum_ >= 0, c,
             ": --momentum must be a number >= 0, got ", o.momentum_);
  ARES_CHECK(o.optimizer_ == "sgd" || (o.momentum_ == 0 && !o.nesterov_), c, ": --",
             o.nesterov_ ? "nesterov" : "momentum",
             " applies to --optimizer sgd only (Adam's momentum is its betas)");
  ARES_CHECK(!o.nesterov_ || o.momentum_ > 0, c, ": --nesterov needs --momentum > 0, got ",
             o.momentum_);
  ARES_CHECK(std::isfinite(o.weight_decay_) && o.weight_decay_ >= 0, c,
             ": --weight-decay must be a number >= 0, got ", o.weight_decay_);
  try {
    Schedule::parse(o.schedule_);
  } catch (const InputError& e) {
    throw InputError(c + ": " + e.what());
  }
  ARES_CHECK(o.warmup_epochs_ >= 0 && o.warmup_epochs_ < o.epochs_, c,
             ": --warmup must be >= 0 and less than --epochs (", o.epochs_, "), got ",
             o.warmup_epochs_);
  ARES_CHECK(o.augment_ == "none" || o.augment_ == "crop-flip", c, ": --augment '", o.augment_,
             "' is not none or crop-flip");
  const auto& shape = model.input_shape();
  ARES_CHECK(o.augment_ == "none" || shape.empty() || shape.size() == 3, c, ": --augment ",
             o.augment_, " needs images (C x H x W) but model ", model.name(), " takes ",
             c10::IntArrayRef(shape));
}

std::vector<std::pair<std::string, std::string>> recipe_metadata(const TrainOptions& o) {
  return {
      {"optimizer", o.optimizer_},
      {"momentum", shortest_number(o.momentum_)},
      {"nesterov", o.nesterov_ ? "true" : "false"},
      {"weight_decay", shortest_number(o.weight_decay_)},
      {"schedule", Schedule::parse(o.schedule_).spec()},
      {"warmup_epochs", std::to_string(o.warmup_epochs_)},
      {"augment", o.augment_},
  };
}

std::string describe_recipe(const TrainOptions& o) {
  std::string s =
      (o.optimizer_ == "sgd" ? "SGD lr " : "Adam lr ") + shortest_number(o.learning_rate_);
  if (o.momentum_ != 0) s += ", momentum " + shortest_number(o.momentum_);
  if (o.nesterov_) s += ", Nesterov";
  if (o.weight_decay_ != 0) s += ", weight decay " + shortest_number(o.weight_decay_);
  const Schedule schedule = Schedule::parse(o.schedule_);
  if (schedule.kind != Schedule::Kind::kConstant) s += ", " + schedule.spec() + " schedule";
  if (o.warmup_epochs_ > 0) {
    s += ", " + std::to_string(o.warmup_epochs_) +
         (o.warmup_epochs_ == 1 ? " warm-up epoch" : " warm-up epochs");
  }
  if (o.augment_ != "none") s += ", " + o.augment_ + " augmentation";
  return s;
}

void check_input_shape(const models::StagedModel& model, const torch::Tensor& images,
                       const std::string& what) {
  auto sample = images.sizes().slice(1).vec();
  model.check_input(images.slice(0, 0, 1));
  if (model.input_shape().empty()) return;  // a TorchScript model: any input shape
  ARES_CHECK(sample == model.input_shape(), what, ": samples have shape ", c10::IntArrayRef(sample),
             " but model ", model.name(), " expects ", c10::IntArrayRef(model.input_shape()));
}

TrainResult train_model(models::StagedModel& model, const data::Split& data,
                        const TrainOptions& o) {
  check_input_shape(model, data.train.images, data.train.source);
  check_input_shape(model, data.test.images, data.test.source);
  ARES_CHECK(o.epochs_ >= 1, "train: --epochs must be >= 1, got ", o.epochs_);
  ARES_CHECK(o.batch_size_ >= 1, "train: --batch must be >= 1, got ", o.batch_size_);
  check_recipe(o, model);
  const bool augment = o.augment_ == "crop-flip";
  ARES_CHECK(!augment || data.train.images.dim() == 4, "train: --augment ", o.augment_,
             " needs images (N x C x H x W) but ", data.train.source, " holds ",
             data.train.images.sizes());
  torch::manual_seed(o.seed_);  // dropout draws from LibTorch's generator
  int64_t n = data.train.size();
  if (o.limit_ > 0) n = std::min(n, o.limit_);
  ARES_CHECK(n > 0, "train: no training samples");
  const torch::Device device = models::find_device(o.device_, "train");
  model.to(device);  // before the optimizer takes the parameters
  Injector injector(o.injections_, model, o.seed_);
  auto opt = make_optimizer(o, model.parameters());
  fault::Rng rng(fault::stream_key(o.seed_, {0x7472616eull /* "tran" */}));
  std::vector<int64_t> order(n);
  TrainResult result;
  int64_t steps_per_epoch = (n + o.batch_size_ - 1) / o.batch_size_;
  Progress progress("train " + model.name(), uint64_t(steps_per_epoch) * o.epochs_, o.progress_);
  model.train();
  for (int epoch = 0; epoch < o.epochs_; ++epoch) {
    for (int64_t i = 0; i < n; ++i) order[i] = i;
    for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates with our own stream
      std::swap(order[i], order[rng.uniform(uint64_t(i) + 1)]);
    }
    auto perm = torch::from_blob(order.data(), {n}, torch::kInt64);
    double loss_sum = 0;
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      auto idx = perm.slice(0, s * o.batch_size_, std::min(n, (s + 1) * o.batch_size_));
      auto x = data.train.images.index_select(0, idx);
      if (augment) x = augment_batch(x, idx, o.seed_, epoch);
      x = x.to(device);
      auto y = data.train.labels.index_select(0, idx).to(device);
      // One learning rate per step (warm-up, schedule); the defaults set lr itself each time.
      const double lr = learning_rate_at(o, epoch, s, steps_per_epoch);
      for (auto& group : opt->param_groups()) group.options().set_lr(lr);
      opt->zero_grad();
      const int64_t step = int64_t(epoch) * steps_per_epoch + s;
      auto loss = torch::nn::functional::cross_entropy(injector.forward(x, step), y);
      loss.backward();
      injector.after_backward(step);
      opt->step();
      injector.after_step(step);
      loss_sum += loss.item<double>();
      progress.tick();
    }
    result.final_loss = loss_sum / double(steps_per_epoch);
  }
  progress.finish();
  model.eval();
  result.test_error = models::evaluate_error(model, data.test.images, data.test.labels);
  result.seconds = progress.elapsed();
  result.injections = injector.stats();
  for (const auto& p : model.parameters()) {
    result.nonfinite_parameters += torch::isfinite(p).logical_not().sum().item<int64_t>();
  }
  model.to(torch::kCPU);  // checkpoints and callers expect it there
  return result;
}

}  // namespace ares::train
