#include "ares/models/staged_model.h"

#include <torch/torch.h>

#include "ares/common/error.h"

namespace ares::models {
namespace F = torch::nn::functional;

StageImpl::StageImpl(StageOptions options) : options_(options) {
  ARES_CHECK(options_.in > 0 && options_.out > 0, "stage needs in > 0 and out > 0");
  ARES_CHECK(!(options_.relu && options_.tanh), "a stage has relu or tanh, not both");
  if (options_.op == StageOptions::Op::kLinear) {
    weight = register_parameter("weight", torch::empty({options_.out, options_.in}));
    int64_t fan_in = options_.in;
    double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    // Same initialisation as torch.nn.Linear / Conv2d (kaiming_uniform with a = sqrt(5)).
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    bias = register_parameter("bias", torch::empty({options_.out}).uniform_(-bound, bound));
  } else {
    weight = register_parameter(
        "weight", torch::empty({options_.out, options_.in, options_.kernel, options_.kernel}));
    int64_t fan_in = options_.in * options_.kernel * options_.kernel;
    double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    bias = register_parameter("bias", torch::empty({options_.out}).uniform_(-bound, bound));
  }
  if (options_.batchnorm) {
    ARES_CHECK(options_.op == StageOptions::Op::kConv2d, "batch norm needs a convolution stage");
    bn_weight = register_parameter("bn_weight", torch::ones({options_.out}));
    bn_bias = register_parameter("bn_bias", torch::zeros({options_.out}));
    bn_mean = register_buffer("bn_mean", torch::zeros({options_.out}));
    bn_var = register_buffer("bn_var", torch::ones({options_.out}));
  }
}

StageImpl::StageImpl(torch::nn::AnyModule body, StageOptions options)
    : options_(options), body_(std::move(body)) {
  options_.op = StageOptions::Op::kModule;
  auto module = body_.ptr();
  for (auto& p : module->named_parameters(/*recurse=*/false))
    register_parameter(p.key(), p.value());
  for (auto& b : module->named_buffers(/*recurse=*/false)) register_buffer(b.key(), b.value());
  for (auto& c : module->named_children()) register_module(c.key(), c.value());
}

torch::Tensor StageImpl::pre_activation(const torch::Tensor& x) const {
  if (options_.op == StageOptions::Op::kModule) {
    return body_.forward(options_.flatten ? x.flatten(1) : x);
  }
  torch::Tensor in = options_.flatten ? x.flatten(1) : x;
  if (options_.op == StageOptions::Op::kLinear) return F::linear(in, weight, bias);
  auto y = F::conv2d(in, weight, F::Conv2dFuncOptions().bias(bias).padding(options_.padding));
  if (options_.batchnorm) {
    y = F::batch_norm(y, bn_mean, bn_var,
                      F::BatchNormFuncOptions()
                          .weight(bn_weight)
                          .bias(bn_bias)
                          .training(is_training())
                          .momentum(0.1)
                          .eps(1e-5));
  }
  return y;
}

namespace {

// max_pool2d with kernel = stride = k, no padding, rounding down, as k x k strided maxima.
// LibTorch 1.13's max_pool2d always computes an int64 index per output as well; this gives
// the same values (NaN propagates the same way) 4.6 times as fast on the CPU (a 10,000 x 32 x
// 24 x 24 batch, k = 2: 0.83 s against 0.18 s, one thread). Its gradient splits ties, so it
// serves tensors that need no gradient only.
torch::Tensor max_pool_values(const torch::Tensor& y, int64_t k) {
  const int64_t ho = y.size(2) / k, wo = y.size(3) / k;
  torch::Tensor m;
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = 0; j < k; ++j) {
      auto s = y.slice(2, i, i + ho * k, k).slice(3, j, j + wo * k, k);
      if (!m.defined()) {
        m = s.clone(torch::MemoryFormat::Contiguous);
      } else {
        torch::maximum_out(m, m, s);
      }
    }
  }
  return m;
}

}  // namespace

// By value on purpose: the stage owns `pre` and may overwrite it (in-place ReLU or tanh).
// NOLINTNEXTLINE(performance-unnecessary-value-param)
torch::Tensor StageImpl::finish_owned(torch::Tensor pre) const {
  // A module stage's body may hand back its input (or a view of it): never in place there.
  if (!(options_.relu || options_.tanh) || options_.op == StageOptions::Op::kModule ||
      pre.requires_grad()) {
    return finish(pre);
  }
  if (options_.relu) {
    pre.relu_();
  } else {
    pre.tanh_();
  }
  return finish_after_activation(pre);
}

torch::Tensor StageImpl::finish(const torch::Tensor& pre) const {
  return finish_after_activation(options_.relu   ? torch::relu(pre)
                                 : options_.tanh ? torch::tanh(pre)
                                                 : pre);
}

torch::Tensor StageImpl::finish_after_activation(const torch::Tensor& act_out) const {
  torch::Tensor y = act_out;
  if (options_.pool > 0) {
    y = y.requires_grad() || options_.pool == 1
            ? F::max_pool2d(y, F::MaxPool2dFuncOptions(options_.pool))
            : max_pool_values(y, options_.pool);
  }
  if (options_.dropout > 0 && is_training()) {
    y = F::dropout(y, F::DropoutFuncOptions().p(options_.dropout).training(true));
  }
  return y;
}

StagedModel::StagedModel(std::string name, std::vector<int64_t> input_shape)
    : name_(std::move(name)), input_shape_(std::move(input_shape)) {}

void StagedModel::add_stage(const std::string& stage_name, StageOptions options) {
  ARES_CHECK(options.op != StageOptions::Op::kModule, "stage ", stage_name,
             ": use add_module_stage for module stages");
  check_stage_name(stage_name);
  stages_.push_back(register_module(stage_name, Stage(options)));
  stage_names_.push_back(stage_name);
  stage_options_.push_back(options);
  factories_.emplace_back();
}

void StagedModel::add_module_stage(const std::string& stage_name,
                                   std::function<torch::nn::AnyModule()> make) {
  add_module_stage(stage_name, std::move(make), StageOptions{});
}

void StagedModel::add_module_stage(const std::string& stage_name,
                                   std::function<torch::nn::AnyModule()> make,
                                   StageOptions options) {
  check_stage_name(stage_name);
  options.op = StageOptions::Op::kModule;
  stages_.push_back(register_module(stage_name, Stage(make(), options)));
  stage_names_.push_back(stage_name);
  stage_options_.push_back(options);
  factories_.push_back(std::move(make));
}

void StagedModel::check_stage_name(const std::string& stage_name) const {
  ARES_CHECK(!stage_name.empty() && stage_name.find('.') == std::string::npos, "stage name '",
             stage_name, "' must be non-empty and contain no '.'");
  for (const auto& n : stage_names_) ARES_CHECK(n != stage_name, "duplicate stage ", stage_name);
}

int64_t StagedModel::find_stage(const std::string& name) const {
  for (size_t i = 0; i < stage_names_.size(); ++i) {
    if (stage_names_[i] == name) return int64_t(i);
  }
  for (size_t i = 0; i < stage_names_.size(); ++i) {
    if (std::to_string(i) == name) return int64_t(i);
  }
  return -1;
}

std::string StagedModel::stage_list() const {
  std::string out;
  for (size_t i = 0; i < stage_names_.size(); ++i) out += (i ? ", " : "") + stage_names_[i];
  return out;
}

size_t StagedModel::stage_of(const std::string& param_name) const {
  auto dot = param_name.find('.');
  std::string stage = param_name.substr(0, dot);
  for (size_t i = 0; i < stage_names_.size(); ++i) {
    if (stage_names_[i] == stage) return i;
  }
  throw InputError("model " + name_ + " has no parameter '" + param_name + "'");
}

torch::Tensor StagedModel::forward(torch::Tensor x) { return forward_from(0, std::move(x)); }

torch::Tensor StagedModel::forward_from(size_t first, torch::Tensor x) {
  for (size_t i = first; i < stages_.size(); ++i) x = stages_[i]->forward(x);
  return x;
}

int64_t StagedModel::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::shared_ptr<StagedModel> StagedModel::clone_model() const {
  auto copy = std::make_shared<StagedModel>(name_, input_shape_);
  for (size_t i = 0; i < stages_.size(); ++i) {
    if (factories_[i]) {
      copy->add_module_stage(stage_names_[i], factories_[i], stage_options_[i]);
    } else {
      copy->add_stage(stage_names_[i], stage_options_[i]);
    }
  }
  torch::NoGradGuard no_grad;
  auto src = named_parameters();
  // The copy lives where the original does (a model moved to a GPU clones on that GPU).
  if (!src.is_empty() && !src.values().front().is_cpu()) copy->to(src.values().front().device());
  for (auto& p : copy->named_parameters()) p.value().copy_(src[p.key()]);
  auto src_buffers = named_buffers();
  for (auto& b : copy->named_buffers()) b.value().copy_(src_buffers[b.key()]);
  copy->input_check_ = input_check_;
  copy->script_source_ = script_source_;
  copy->train(is_training());
  return copy;
}

std::shared_ptr<StagedModel> StagedModel::fold_batchnorm() const {
  auto copy = std::make_shared<StagedModel>(name_, input_shape_);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < stages_.size(); ++i) {
    const auto& src = stages_[i];
    if (factories_[i]) {  // module stages are copied as they are
      copy->add_module_stage(stage_names_[i], factories_[i], stage_options_[i]);
      auto dst_params = copy->stage(i)->named_parameters();
      for (auto& p : src->named_parameters()) dst_params[p.key()].copy_(p.value());
      auto dst_buffers = copy->stage(i)->named_buffers();
      for (auto& b : src->named_buffers()) dst_buffers[b.key()].copy_(b.value());
      continue;
    }
    StageOptions o = stage_options_[i];
    o.batchnorm = false;
    copy->add_stage(stage_names_[i], o);
    auto& dst = copy->stage(i);
    if (stage_options_[i].batchnorm) {
      auto scale = src->bn_weight / torch::sqrt(src->bn_var + 1e-5);
      dst->weight.copy_(src->weight * scale.view({-1, 1, 1, 1}));
      dst->bias.copy_((src->bias - src->bn_mean) * scale + src->bn_bias);
    } else {
      dst->weight.copy_(src->weight);
      dst->bias.copy_(src->bias);
    }
  }
  copy->input_check_ = input_check_;
  copy->script_source_ = script_source_;
  copy->train(is_training());
  return copy;
}

void StagedModel::check_input(const torch::Tensor& sample) const {
  // The check runs the model forward in eval mode, which changes nothing in it.
  if (input_check_) input_check_(sample, const_cast<StagedModel&>(*this));
}

bool StagedModel::has_batchnorm() const {
  for (const auto& o : stage_options_) {
    if (o.batchnorm) return true;
  }
  return false;
}

}  // namespace ares::models
