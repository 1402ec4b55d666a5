#pragma once
/// ImageNet models with torchvision's architectures, staged by blocks.
///
/// Each builder returns the torchvision 0.14 architecture with 1000 classes and exactly
/// torchvision's parameter count, split into stages so that a campaign can restart at the
/// first faulty block. Parameter names are torchvision's state_dict keys under a fixed
/// renaming (a module path's first '.' becomes '_' where a block becomes a stage), so
/// scripts/export_torchvision.py writes torchvision weights, pretrained or random, straight
/// into an Ares checkpoint. docs/imagenet.md lists the stages and the renaming.
///
/// Batch norm inside a block stays a torch::nn::BatchNorm2d module (the campaign's
/// fold_batchnorm() leaves module stages as they are): weight campaigns target its weight and
/// bias like any parameter; its running statistics are buffers and are never faulted.

#include <memory>

#include "ares/models/staged_model.h"

namespace ares::models {

/// VGG-16 (torchvision `vgg16`, configuration D, no batch norm): 138,357,544 parameters.
/// Stages conv1..conv13 (3x3, padding 1, ReLU; max-pool 2 after conv2, conv4, conv7, conv10
/// and conv13) and fc1 25088-4096, fc2 4096-4096 (ReLU, dropout 0.5 in training), fc3
/// 4096-1000: all plain stages, so the fast engine updates them sparsely. torchvision's
/// adaptive average pool to 7x7 is the identity on 224x224 inputs, the only size accepted.
/// Names: features.{0,2,5,...,28} -> conv1..conv13, classifier.{0,3,6} -> fc1..fc3.
std::shared_ptr<StagedModel> make_vgg16();

/// ResNet-50 (torchvision `resnet50`, v1.5: stride on the 3x3 convolution): 25,557,032
/// parameters. Stages: `stem` (conv1 7x7/2, bn1, ReLU, max-pool 3/2), one module stage per
/// bottleneck block layer1_0 .. layer4_2, `avgpool` (global average, flatten; no parameters)
/// and the plain linear stage `fc` 2048-1000. Input 3 x 224 x 224.
/// Names: conv1/bn1 -> stem.conv1/stem.bn1, layerX.Y.* -> layerX_Y.*, fc.* -> fc.*.
std::shared_ptr<StagedModel> make_resnet50();

/// MobileNetV2 (torchvision `mobilenet_v2`, width 1.0): 3,504,872 parameters. Stages
/// features_0 (conv 3x3/2 + BN + ReLU6), features_1 .. features_17 (inverted-residual blocks),
/// features_18 (conv 1x1 + BN + ReLU6), `pool` (global average, flatten, dropout 0.2 in
/// training) and the plain linear stage `classifier` 1280-1000. Input 3 x 224 x 224.
/// Names: features.N.* -> features_N.*, classifier.1.* -> classifier.*.
std::shared_ptr<StagedModel> make_mobilenet_v2();

/// Inception v3 (torchvision `inception_v3`) without the auxiliary classifier: 23,834,568
/// parameters (torchvision's default, with AuxLogits, has 27,161,264; the auxiliary branch
/// only runs in training and does not change the logits, so faulting its weights would only
/// dilute the bit count). As torchvision's pretrained model, the input is re-normalised first
/// (`transform_input=True`). Stages, with torchvision's own module names: transform_input,
/// Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, maxpool1, Conv2d_3b_1x1, Conv2d_4a_3x3,
/// maxpool2, Mixed_5b .. Mixed_7c, `avgpool` (global average, dropout 0.5 in training,
/// flatten) and the plain linear stage `fc` 2048-1000. Input 3 x 299 x 299.
/// Names: torchvision's, minus AuxLogits.*.
std::shared_ptr<StagedModel> make_inception_v3();

}  // namespace ares::models
