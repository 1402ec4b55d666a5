#include "ares/train/train.h"

#include <torch/torch.h>

#include "ares/common/error.h"
#include "ares/common/progress.h"
#include "ares/fault/rng.h"
#include "ares/models/device.h"
#include "ares/models/evaluate.h"

namespace ares::train {

void check_input_shape(const models::StagedModel& model, const torch::Tensor& images,
                       const std::string& what) {
  auto sample = images.sizes().slice(1).vec();
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
  torch::manual_seed(o.seed_);  // dropout draws from LibTorch's generator
  int64_t n = data.train.size();
  if (o.limit_ > 0) n = std::min(n, o.limit_);
  ARES_CHECK(n > 0, "train: no training samples");
  const torch::Device device = models::find_device(o.device_, "train");
  model.to(device);  // before the optimizer takes the parameters
  Injector injector(o.injections_, model, o.seed_);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.learning_rate_));
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
      auto x = data.train.images.index_select(0, idx).to(device);
      auto y = data.train.labels.index_select(0, idx).to(device);
      opt.zero_grad();
      const int64_t step = int64_t(epoch) * steps_per_epoch + s;
      auto loss = torch::nn::functional::cross_entropy(injector.forward(x, step), y);
      loss.backward();
      injector.after_backward(step);
      opt.step();
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
