#include "ares/models/registry.h"

#include "ares/common/error.h"
#include "ares/models/gru.h"
#include "ares/models/torchvision.h"

namespace ares::models {
namespace {

using Op = StageOptions::Op;

std::shared_ptr<StagedModel> make_mnist_fc() {
  // The original Ares MNIST FC: 784-300-100-10 with ReLU.
  auto m = std::make_shared<StagedModel>("mnist_fc", std::vector<int64_t>{1, 28, 28});
  m->add_stage("fc1", {Op::kLinear, 784, 300, 0, 0, /*flatten=*/true, /*relu=*/true});
  m->add_stage("fc2", {Op::kLinear, 300, 100, 0, 0, false, true});
  m->add_stage("fc3", {Op::kLinear, 100, 10, 0, 0, false, false});
  return m;
}

std::shared_ptr<StagedModel> make_lenet5() {
  // The original Ares MNIST "LeNet5" (Keras' MNIST CNN): conv 1->32 3x3, conv 32->32 3x3,
  // max-pool 2, dropout 0.25, fc 4608->128, dropout 0.5, fc 128->10.
  auto m = std::make_shared<StagedModel>("lenet5", std::vector<int64_t>{1, 28, 28});
  m->add_stage("conv1", {Op::kConv2d, 1, 32, 3, 0, false, true});
  m->add_stage("conv2", {Op::kConv2d, 32, 32, 3, 0, false, true, /*pool=*/2, /*dropout=*/0.25});
  m->add_stage("fc1", {Op::kLinear, 4608, 128, 0, 0, true, true, 0, 0.5});
  m->add_stage("fc2", {Op::kLinear, 128, 10, 0, 0, false, false});
  return m;
}

std::shared_ptr<StagedModel> make_cifar_vgg12() {
  // The original Ares CIFAR-10 VGG: 3x3 convolutions (padding 1) with batch norm and ReLU,
  // 64,64,M,128,128,M,256,256,256,M,512,512,512,M, then fc 2048-512, ReLU, fc 512-10.
  auto m = std::make_shared<StagedModel>("cifar_vgg12", std::vector<int64_t>{3, 32, 32});
  const int64_t channels[] = {64, 64, 128, 128, 256, 256, 256, 512, 512, 512};
  const bool pool_after[] = {false, true, false, true, false, false, true, false, false, true};
  int64_t in = 3;
  for (int i = 0; i < 10; ++i) {
    StageOptions o{Op::kConv2d,   in,    channels[i],   3,
                   /*padding=*/1, false, /*relu=*/true, pool_after[i] ? 2 : 0};
    o.batchnorm = true;
    m->add_stage("conv" + std::to_string(i + 1), o);
    in = channels[i];
  }
  m->add_stage("fc1", {Op::kLinear, 2048, 512, 0, 0, /*flatten=*/true, /*relu=*/true});
  m->add_stage("fc2", {Op::kLinear, 512, 10, 0, 0, false, false});
  return m;
}

std::vector<ModelInfo>& registry() {
  static std::vector<ModelInfo> models = {
      {"mnist_fc", "fully connected 784-300-100-10, ReLU (original Ares MNIST FC)", "mnist-like",
       make_mnist_fc},
      {"lenet5", "conv32-conv32-pool-fc128-fc10 (original Ares MNIST LeNet5)", "mnist-like",
       make_lenet5},
      {"cifar_vgg12",
       "10 conv3x3+BN+ReLU (64..512, 4 max-pools), fc 2048-512-10 (original Ares CIFAR-10 VGG)",
       "cifar-10", make_cifar_vgg12},
      {"vgg16", "torchvision VGG-16: 13 conv3x3+ReLU, 5 max-pools, fc 25088-4096-4096-1000",
       "imagenet", make_vgg16},
      {"resnet50", "torchvision ResNet-50: stem, 16 bottleneck blocks, avgpool, fc 2048-1000",
       "imagenet", make_resnet50},
      {"mobilenet_v2",
       "torchvision MobileNetV2: stem, 17 inverted-residual blocks, conv1x1, fc 1280-1000",
       "imagenet", make_mobilenet_v2},
      {"inception_v3",
       "torchvision Inception v3 without aux logits, 299x299: stem, 11 inception blocks, fc",
       "imagenet", make_inception_v3},
      {"tidigits_gru",
       "GRU 39-200 over 100 MFCC frames (last state), fc 200-200 ReLU, fc 200-10 (original Ares "
       "TIDIGITS GRU)",
       "spoken-digits", make_tidigits_gru},
      {"fmnist_gru", "GRU 28-128 over 28 image rows (last state), fc 128-128 ReLU, fc 128-10",
       "fashion-mnist-seq", make_fmnist_gru},
  };
  return models;
}

}  // namespace

const std::vector<ModelInfo>& zoo() { return registry(); }

std::shared_ptr<StagedModel> create(const std::string& name) {
  for (const auto& info : registry()) {
    if (info.name == name) return info.make();
  }
  std::string known;
  for (const auto& info : registry()) known += (known.empty() ? "" : ", ") + info.name;
  throw InputError("unknown model '" + name + "' (known: " + known + ")");
}

void register_model(ModelInfo info) {
  for (const auto& m : registry()) {
    ARES_CHECK(m.name != info.name, "model '", info.name, "' is already registered");
  }
  registry().push_back(std::move(info));
}

}  // namespace ares::models
