#include "ares/models/torchvision.h"

#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ares::models {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;
using Op = StageOptions::Op;

// The blocks below register their children under torchvision's attribute names, so that a
// stage's parameter names are torchvision's with only the stage prefix changed. A body's
// forward must not read its own is_training(): the stage registers the body's children, not
// the body, so only the children follow model.train()/eval() (Dropout and BatchNorm2d
// modules, never a flag of the body).

// A Sequential as a stage body (nn::Sequential has no fixed forward signature, so it cannot
// sit in an AnyModule): the children are registered on the wrapper under their own names.
class SeqBodyImpl : public nn::Module {
 public:
  explicit SeqBodyImpl(nn::Sequential seq) : seq_(std::move(seq)) {
    for (const auto& c : seq_->named_children()) register_module(c.key(), c.value());
  }
  torch::Tensor forward(torch::Tensor x) { return seq_->forward(std::move(x)); }

 private:
  nn::Sequential seq_;
};
TORCH_MODULE(SeqBody);

template <typename M>
nn::AnyModule any(M module) {
  return nn::AnyModule(std::move(module));
}

nn::Conv2d conv(int64_t in, int64_t out, std::vector<int64_t> kernel, int64_t stride = 1,
                std::vector<int64_t> padding = {0, 0}, int64_t groups = 1) {
  if (kernel.size() == 1) kernel.push_back(kernel[0]);
  if (padding.size() == 1) padding.push_back(padding[0]);
  return nn::Conv2d(nn::Conv2dOptions(in, out, {kernel[0], kernel[1]})
                        .stride(stride)
                        .padding(torch::ExpandingArray<2>({padding[0], padding[1]}))
                        .groups(groups)
                        .bias(false));
}

// Global average pooling and flatten, with an optional dropout (torchvision's avgpool,
// dropout and flatten before the classifier; dropout only acts in training).
class PoolImpl : public nn::Module {
 public:
  explicit PoolImpl(double dropout) {
    if (dropout > 0) dropout_ = register_module("dropout", nn::Dropout(dropout));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions({1, 1})).flatten(1);
    return dropout_ ? dropout_->forward(x) : x;
  }

 private:
  nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(Pool);

// ---- ResNet-50 ---------------------------------------------------------------------------

class BottleneckImpl : public nn::Module {
 public:
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride)
      : conv1_(register_module("conv1", conv(inplanes, planes, {1}))),
        bn1_(register_module("bn1", nn::BatchNorm2d(planes))),
        conv2_(register_module("conv2", conv(planes, planes, {3}, stride, {1}))),
        bn2_(register_module("bn2", nn::BatchNorm2d(planes))),
        conv3_(register_module("conv3", conv(planes, planes * kExpansion, {1}))),
        bn3_(register_module("bn3", nn::BatchNorm2d(planes * kExpansion))) {
    if (stride != 1 || inplanes != planes * kExpansion) {
      downsample_ = register_module("downsample",
                                    nn::Sequential(conv(inplanes, planes * kExpansion, {1}, stride),
                                                   nn::BatchNorm2d(planes * kExpansion)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto out = torch::relu(bn1_->forward(conv1_->forward(x)));
    out = torch::relu(bn2_->forward(conv2_->forward(out)));
    out = bn3_->forward(conv3_->forward(out));
    auto identity = downsample_ ? downsample_->forward(x) : x;
    return torch::relu(out + identity);
  }
  static constexpr int64_t kExpansion = 4;

 private:
  nn::Conv2d conv1_;
  nn::BatchNorm2d bn1_;
  nn::Conv2d conv2_;
  nn::BatchNorm2d bn2_;
  nn::Conv2d conv3_;
  nn::BatchNorm2d bn3_;
  nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(Bottleneck);

// ---- MobileNetV2 -------------------------------------------------------------------------

// torchvision's Conv2dNormActivation with ReLU6: children "0" (conv), "1" (BN), "2".
SeqBody conv_bn_relu6(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                      int64_t groups = 1) {
  return SeqBody(nn::Sequential(conv(in, out, {kernel}, stride, {(kernel - 1) / 2}, groups),
                                nn::BatchNorm2d(out), nn::ReLU6()));
}

class InvertedResidualImpl : public nn::Module {
 public:
  InvertedResidualImpl(int64_t inp, int64_t oup, int64_t stride, int64_t expand_ratio)
      : use_residual_(stride == 1 && inp == oup) {
    const int64_t hidden = inp * expand_ratio;
    nn::Sequential layers;
    if (expand_ratio != 1) layers->push_back(conv_bn_relu6(inp, hidden, 1));
    layers->push_back(conv_bn_relu6(hidden, hidden, 3, stride, /*groups=*/hidden));
    layers->push_back(conv(hidden, oup, {1}));
    layers->push_back(nn::BatchNorm2d(oup));
    conv_ = register_module("conv", layers);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return use_residual_ ? x + conv_->forward(x) : conv_->forward(x);
  }

 private:
  bool use_residual_;
  nn::Sequential conv_{nullptr};
};
TORCH_MODULE(InvertedResidual);

// ---- Inception v3 ------------------------------------------------------------------------

class BasicConv2dImpl : public nn::Module {
 public:
  BasicConv2dImpl(int64_t in, int64_t out, std::vector<int64_t> kernel, int64_t stride = 1,
                  std::vector<int64_t> padding = {0})
      : conv_(
            register_module("conv", conv(in, out, std::move(kernel), stride, std::move(padding)))),
        bn_(register_module("bn", nn::BatchNorm2d(nn::BatchNorm2dOptions(out).eps(0.001)))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::relu(bn_->forward(conv_->forward(x)));
  }

 private:
  nn::Conv2d conv_;
  nn::BatchNorm2d bn_;
};
TORCH_MODULE(BasicConv2d);

// ModuleHolder's forwarding constructor cannot take braced kernel sizes: build through here.
BasicConv2d basic(int64_t in, int64_t out, std::vector<int64_t> kernel, int64_t stride = 1,
                  std::vector<int64_t> padding = {0}) {
  return BasicConv2d(
      std::make_shared<BasicConv2dImpl>(in, out, std::move(kernel), stride, std::move(padding)));
}

// Branches of an inception block, registered under torchvision's names.
class InceptionBase : public nn::Module {
 protected:
  void add(const std::string& name, BasicConv2d m) {
    branches_.emplace(name, register_module(name, std::move(m)));
  }
  torch::Tensor run(const std::string& name, const torch::Tensor& x) {
    return branches_.at(name)->forward(x);
  }
  static torch::Tensor avg3(const torch::Tensor& x) {
    return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1));
  }
  static torch::Tensor max3(const torch::Tensor& x) {
    return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
  }

 private:
  std::map<std::string, BasicConv2d> branches_;
};

class InceptionAImpl : public InceptionBase {
 public:
  InceptionAImpl(int64_t in, int64_t pool_features) {
    add("branch1x1", basic(in, 64, {1}));
    add("branch5x5_1", basic(in, 48, {1}));
    add("branch5x5_2", basic(48, 64, {5}, 1, {2}));
    add("branch3x3dbl_1", basic(in, 64, {1}));
    add("branch3x3dbl_2", basic(64, 96, {3}, 1, {1}));
    add("branch3x3dbl_3", basic(96, 96, {3}, 1, {1}));
    add("branch_pool", basic(in, pool_features, {1}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b1 = run("branch1x1", x);
    auto b5 = run("branch5x5_2", run("branch5x5_1", x));
    auto b3 = run("branch3x3dbl_3", run("branch3x3dbl_2", run("branch3x3dbl_1", x)));
    auto bp = run("branch_pool", avg3(x));
    return torch::cat({b1, b5, b3, bp}, 1);
  }
};
TORCH_MODULE(InceptionA);

class InceptionBImpl : public InceptionBase {
 public:
  explicit InceptionBImpl(int64_t in) {
    add("branch3x3", basic(in, 384, {3}, 2));
    add("branch3x3dbl_1", basic(in, 64, {1}));
    add("branch3x3dbl_2", basic(64, 96, {3}, 1, {1}));
    add("branch3x3dbl_3", basic(96, 96, {3}, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b3 = run("branch3x3", x);
    auto bd = run("branch3x3dbl_3", run("branch3x3dbl_2", run("branch3x3dbl_1", x)));
    return torch::cat({b3, bd, max3(x)}, 1);
  }
};
TORCH_MODULE(InceptionB);

class InceptionCImpl : public InceptionBase {
 public:
  InceptionCImpl(int64_t in, int64_t c7) {
    add("branch1x1", basic(in, 192, {1}));
    add("branch7x7_1", basic(in, c7, {1}));
    add("branch7x7_2", basic(c7, c7, {1, 7}, 1, {0, 3}));
    add("branch7x7_3", basic(c7, 192, {7, 1}, 1, {3, 0}));
    add("branch7x7dbl_1", basic(in, c7, {1}));
    add("branch7x7dbl_2", basic(c7, c7, {7, 1}, 1, {3, 0}));
    add("branch7x7dbl_3", basic(c7, c7, {1, 7}, 1, {0, 3}));
    add("branch7x7dbl_4", basic(c7, c7, {7, 1}, 1, {3, 0}));
    add("branch7x7dbl_5", basic(c7, 192, {1, 7}, 1, {0, 3}));
    add("branch_pool", basic(in, 192, {1}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b1 = run("branch1x1", x);
    auto b7 = run("branch7x7_3", run("branch7x7_2", run("branch7x7_1", x)));
    auto bd = run("branch7x7dbl_1", x);
    for (const char* n : {"branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5"}) {
      bd = run(n, bd);
    }
    auto bp = run("branch_pool", avg3(x));
    return torch::cat({b1, b7, bd, bp}, 1);
  }
};
TORCH_MODULE(InceptionC);

class InceptionDImpl : public InceptionBase {
 public:
  explicit InceptionDImpl(int64_t in) {
    add("branch3x3_1", basic(in, 192, {1}));
    add("branch3x3_2", basic(192, 320, {3}, 2));
    add("branch7x7x3_1", basic(in, 192, {1}));
    add("branch7x7x3_2", basic(192, 192, {1, 7}, 1, {0, 3}));
    add("branch7x7x3_3", basic(192, 192, {7, 1}, 1, {3, 0}));
    add("branch7x7x3_4", basic(192, 192, {3}, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b3 = run("branch3x3_2", run("branch3x3_1", x));
    auto b7 = run("branch7x7x3_1", x);
    for (const char* n : {"branch7x7x3_2", "branch7x7x3_3", "branch7x7x3_4"}) b7 = run(n, b7);
    return torch::cat({b3, b7, max3(x)}, 1);
  }
};
TORCH_MODULE(InceptionD);

class InceptionEImpl : public InceptionBase {
 public:
  explicit InceptionEImpl(int64_t in) {
    add("branch1x1", basic(in, 320, {1}));
    add("branch3x3_1", basic(in, 384, {1}));
    add("branch3x3_2a", basic(384, 384, {1, 3}, 1, {0, 1}));
    add("branch3x3_2b", basic(384, 384, {3, 1}, 1, {1, 0}));
    add("branch3x3dbl_1", basic(in, 448, {1}));
    add("branch3x3dbl_2", basic(448, 384, {3}, 1, {1}));
    add("branch3x3dbl_3a", basic(384, 384, {1, 3}, 1, {0, 1}));
    add("branch3x3dbl_3b", basic(384, 384, {3, 1}, 1, {1, 0}));
    add("branch_pool", basic(in, 192, {1}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b1 = run("branch1x1", x);
    auto b3 = run("branch3x3_1", x);
    b3 = torch::cat({run("branch3x3_2a", b3), run("branch3x3_2b", b3)}, 1);
    auto bd = run("branch3x3dbl_2", run("branch3x3dbl_1", x));
    bd = torch::cat({run("branch3x3dbl_3a", bd), run("branch3x3dbl_3b", bd)}, 1);
    auto bp = run("branch_pool", avg3(x));
    return torch::cat({b1, b3, bd, bp}, 1);
  }
};
TORCH_MODULE(InceptionE);

// torchvision's transform_input=True (set for its pretrained weights): takes an input
// normalised with ImageNet's mean and std to the (x - 0.5) / 0.5 normalisation the original
// Inception weights expect.
class TransformInputImpl : public nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x) {
    auto c0 = x.select(1, 0).unsqueeze(1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5;
    auto c1 = x.select(1, 1).unsqueeze(1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5;
    auto c2 = x.select(1, 2).unsqueeze(1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5;
    return torch::cat({c0, c1, c2}, 1);
  }
};
TORCH_MODULE(TransformInput);

nn::AnyModule max_pool(int64_t kernel, int64_t stride, int64_t padding = 0) {
  nn::Sequential s(nn::MaxPool2d(nn::MaxPool2dOptions(kernel).stride(stride).padding(padding)));
  return any(SeqBody(s));
}

}  // namespace

std::shared_ptr<StagedModel> make_vgg16() {
  auto m = std::make_shared<StagedModel>("vgg16", std::vector<int64_t>{3, 224, 224});
  const int64_t channels[] = {64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512};
  const bool pool_after[] = {false, true,  false, true,  false, false, true,
                             false, false, true,  false, false, true};
  int64_t in = 3;
  for (int i = 0; i < 13; ++i) {
    m->add_stage("conv" + std::to_string(i + 1),
                 {Op::kConv2d, in, channels[i], 3,
                  /*padding=*/1, false, /*relu=*/true, pool_after[i] ? 2 : 0});
    in = channels[i];
  }
  m->add_stage("fc1",
               {Op::kLinear, int64_t(512) * 7 * 7, 4096, 0, 0, /*flatten=*/true, /*relu=*/true, 0,
                /*dropout=*/0.5});
  m->add_stage("fc2", {Op::kLinear, 4096, 4096, 0, 0, false, true, 0, 0.5});
  m->add_stage("fc3", {Op::kLinear, 4096, 1000, 0, 0, false, false});
  return m;
}

std::shared_ptr<StagedModel> make_resnet50() {
  auto m = std::make_shared<StagedModel>("resnet50", std::vector<int64_t>{3, 224, 224});
  m->add_module_stage("stem", [] {
    nn::Sequential s;
    s->push_back("conv1", conv(3, 64, {7}, 2, {3}));
    s->push_back("bn1", nn::BatchNorm2d(64));
    s->push_back("relu", nn::ReLU());
    s->push_back("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
    return any(SeqBody(s));
  });
  const int64_t blocks[] = {3, 4, 6, 3};
  int64_t inplanes = 64;
  for (int layer = 0; layer < 4; ++layer) {
    const int64_t planes = int64_t(64) << layer;
    for (int64_t b = 0; b < blocks[layer]; ++b) {
      const int64_t stride = (layer > 0 && b == 0) ? 2 : 1;
      m->add_module_stage("layer" + std::to_string(layer + 1) + "_" + std::to_string(b),
                          [=] { return any(Bottleneck(inplanes, planes, stride)); });
      inplanes = planes * BottleneckImpl::kExpansion;
    }
  }
  m->add_module_stage("avgpool", [] { return any(Pool(0.0)); });
  m->add_stage("fc", {Op::kLinear, 2048, 1000, 0, 0, false, false});
  return m;
}

std::shared_ptr<StagedModel> make_mobilenet_v2() {
  auto m = std::make_shared<StagedModel>("mobilenet_v2", std::vector<int64_t>{3, 224, 224});
  m->add_module_stage("features_0", [] { return any(conv_bn_relu6(3, 32, 3, 2)); });
  // (expansion t, channels c, repeats n, first stride s), torchvision's table.
  const int64_t setting[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                 {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int64_t in = 32, index = 1;
  for (const auto& row : setting) {
    for (int64_t i = 0; i < row[2]; ++i) {
      const int64_t t = row[0], out = row[1], stride = i == 0 ? row[3] : 1;
      m->add_module_stage("features_" + std::to_string(index++),
                          [=] { return any(InvertedResidual(in, out, stride, t)); });
      in = out;
    }
  }
  m->add_module_stage("features_18", [] { return any(conv_bn_relu6(320, 1280, 1)); });
  m->add_module_stage("pool", [] { return any(Pool(0.2)); });
  m->add_stage("classifier", {Op::kLinear, 1280, 1000, 0, 0, false, false});
  return m;
}

std::shared_ptr<StagedModel> make_inception_v3() {
  auto m = std::make_shared<StagedModel>("inception_v3", std::vector<int64_t>{3, 299, 299});
  m->add_module_stage("transform_input", [] { return any(TransformInput()); });
  m->add_module_stage("Conv2d_1a_3x3", [] { return any(basic(3, 32, {3}, 2)); });
  m->add_module_stage("Conv2d_2a_3x3", [] { return any(basic(32, 32, {3})); });
  m->add_module_stage("Conv2d_2b_3x3", [] { return any(basic(32, 64, {3}, 1, {1})); });
  m->add_module_stage("maxpool1", [] { return max_pool(3, 2); });
  m->add_module_stage("Conv2d_3b_1x1", [] { return any(basic(64, 80, {1})); });
  m->add_module_stage("Conv2d_4a_3x3", [] { return any(basic(80, 192, {3})); });
  m->add_module_stage("maxpool2", [] { return max_pool(3, 2); });
  m->add_module_stage("Mixed_5b", [] { return any(InceptionA(192, 32)); });
  m->add_module_stage("Mixed_5c", [] { return any(InceptionA(256, 64)); });
  m->add_module_stage("Mixed_5d", [] { return any(InceptionA(288, 64)); });
  m->add_module_stage("Mixed_6a", [] { return any(InceptionB(288)); });
  m->add_module_stage("Mixed_6b", [] { return any(InceptionC(768, 128)); });
  m->add_module_stage("Mixed_6c", [] { return any(InceptionC(768, 160)); });
  m->add_module_stage("Mixed_6d", [] { return any(InceptionC(768, 160)); });
  m->add_module_stage("Mixed_6e", [] { return any(InceptionC(768, 192)); });
  m->add_module_stage("Mixed_7a", [] { return any(InceptionD(768)); });
  m->add_module_stage("Mixed_7b", [] { return any(InceptionE(1280)); });
  m->add_module_stage("Mixed_7c", [] { return any(InceptionE(2048)); });
  m->add_module_stage("avgpool", [] { return any(Pool(0.5)); });
  m->add_stage("fc", {Op::kLinear, 2048, 1000, 0, 0, false, false});
  return m;
}

}  // namespace ares::models
