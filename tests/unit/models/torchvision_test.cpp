#include "ares/models/torchvision.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ares/data/image_folder.h"
#include "ares/models/checkpoint.h"
#include "ares/models/registry.h"

namespace ares::models {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> param_names(const StagedModel& m) {
  std::vector<std::string> names;
  for (const auto& p : m.named_parameters()) names.push_back(p.key());
  return names;
}

bool has(const std::vector<std::string>& names, const std::string& n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

// ---- architecture --------------------------------------------------------------------------

// torchvision 0.14's counts: sum(p.numel() for p in model.parameters()).
TEST(TorchvisionModelsTest, ParameterCountsEqualTorchvisions) {
  auto vgg = create("vgg16");  // 0.5 s to initialise: its layout is checked here too
  EXPECT_EQ(vgg->parameter_count(), 138357544);
  EXPECT_EQ(vgg->num_stages(), 16u);
  EXPECT_EQ(vgg->input_shape(), (std::vector<int64_t>{3, 224, 224}));
  EXPECT_EQ(vgg->stage_name(12), "conv13");
  EXPECT_EQ(vgg->stage_name(15), "fc3");
  EXPECT_EQ(vgg->stage(13)->options().in, 25088);
  EXPECT_EQ(vgg->stage(12)->options().pool, 2);
  EXPECT_EQ(create("resnet50")->parameter_count(), 25557032);
  EXPECT_EQ(create("mobilenet_v2")->parameter_count(), 3504872);
  // inception_v3(aux_logits=False); with the auxiliary classifier torchvision has 27,161,264.
  EXPECT_EQ(create("inception_v3")->parameter_count(), 23834568);
}

TEST(TorchvisionModelsTest, StagesAndNamesFollowTorchvision) {
  auto r = create("resnet50");
  ASSERT_EQ(r->num_stages(), 19u);  // stem, 16 bottlenecks, avgpool, fc
  EXPECT_EQ(r->stage_name(0), "stem");
  EXPECT_EQ(r->stage_name(1), "layer1_0");
  EXPECT_EQ(r->stage_name(16), "layer4_2");
  EXPECT_EQ(r->stage_name(17), "avgpool");
  EXPECT_EQ(r->stage(18)->options().op, StageOptions::Op::kLinear);  // fc: the sparse path
  const auto rn = param_names(*r);
  for (const char* n : {"stem.conv1.weight", "stem.bn1.weight", "layer1_0.downsample.0.weight",
                        "layer1_0.downsample.1.bias", "layer2_3.conv3.weight", "fc.bias"}) {
    EXPECT_TRUE(has(rn, n)) << n;
  }
  EXPECT_FALSE(has(rn, "layer1_1.downsample.0.weight"));
  EXPECT_EQ(r->stage_of("layer3_5.bn2.weight"), 13u);  // stem, 3 + 4 blocks before layer3
  EXPECT_EQ(r->named_buffers().size(), 3u * 53);       // running mean, var, batch count per BN

  auto mb = create("mobilenet_v2");
  ASSERT_EQ(mb->num_stages(), 21u);
  EXPECT_EQ(mb->stage_name(20), "classifier");
  const auto mn = param_names(*mb);
  for (const char* n : {"features_0.0.weight", "features_0.1.bias", "features_1.conv.0.0.weight",
                        "features_1.conv.1.weight", "features_2.conv.3.weight",
                        "features_18.1.weight", "classifier.weight"}) {
    EXPECT_TRUE(has(mn, n)) << n;
  }

  auto inc = create("inception_v3");
  EXPECT_EQ(inc->input_shape(), (std::vector<int64_t>{3, 299, 299}));
  EXPECT_EQ(inc->num_stages(), 21u);
  EXPECT_EQ(inc->stage_name(0), "transform_input");
  const auto in = param_names(*inc);
  for (const char* n :
       {"Conv2d_1a_3x3.conv.weight", "Mixed_5b.branch_pool.bn.bias",
        "Mixed_6e.branch7x7dbl_5.conv.weight", "Mixed_7c.branch3x3dbl_3b.bn.weight", "fc.weight"}) {
    EXPECT_TRUE(has(in, n)) << n;
  }
  for (const auto& n : in) EXPECT_EQ(n.find("AuxLogits"), std::string::npos) << n;
}

TEST(TorchvisionModelsTest, ForwardGivesLogitsAndStagesCompose) {
  torch::manual_seed(3);
  c10::InferenceMode guard;
  for (const char* name : {"mobilenet_v2", "resnet50"}) {
    SCOPED_TRACE(name);
    auto m = create(name);
    m->eval();
    auto x = torch::randn({1, 3, 224, 224});
    auto y = m->forward(x);
    EXPECT_EQ(y.sizes(), (c10::IntArrayRef{1, 1000}));
    // Restarting at a middle stage from its input gives the same logits (the engine's cache).
    torch::Tensor mid = x;
    for (size_t s = 0; s < 5; ++s) mid = m->stage(s)->forward(mid);
    EXPECT_TRUE(torch::allclose(m->forward_from(5, mid), y, 1e-5, 1e-6));
  }
}

TEST(TorchvisionModelsTest, CheckpointRoundTripKeepsBatchNormBuffers) {
  torch::manual_seed(5);
  auto m = create("mobilenet_v2");
  {  // move the running statistics away from their initial values
    torch::NoGradGuard no_grad;
    m->train();
    m->forward(torch::randn({2, 3, 224, 224}));
  }
  m->eval();
  const auto dir = fs::path(::testing::TempDir()) / ("ares_tv_ckpt_" + std::to_string(::getpid()));
  const std::string path = (dir / "m.ckpt").string();
  save_checkpoint(path, *m, {{"dataset", "imagenet"}});
  auto loaded = load_checkpoint(path);
  fs::remove_all(dir);
  EXPECT_EQ(loaded.meta["model"], "mobilenet_v2");
  auto a = m->named_buffers();
  for (const auto& b : loaded.model->named_buffers()) {
    EXPECT_TRUE(torch::equal(b.value(), a[b.key()])) << b.key();
  }
  c10::InferenceMode guard;
  auto x = torch::randn({1, 3, 224, 224});
  EXPECT_TRUE(torch::equal(loaded.model->forward(x), m->forward(x)));
  // Campaigns fold batch norm: module stages keep theirs, so the logits do not move.
  auto folded = loaded.model->fold_batchnorm();
  folded->eval();
  EXPECT_TRUE(torch::equal(folded->forward(x), m->forward(x)));
  EXPECT_EQ(folded->parameter_count(), m->parameter_count());
}

// ---- torchvision itself --------------------------------------------------------------------

// A python3 that imports torchvision: $ARES_PYTHON, python3 on PATH, or Debian's.
std::string python_with_torchvision() {
  std::vector<std::string> candidates;
  if (const char* p = std::getenv("ARES_PYTHON")) candidates.push_back(p);
  candidates.push_back("python3");
  candidates.push_back("/usr/bin/python3");
  for (const auto& py : candidates) {
    const std::string cmd = py + " -c 'import torchvision' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return "";
}

fs::path export_script() {
  // This file is tests/unit/models/torchvision_test.cpp.
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "scripts" /
         "export_torchvision.py";
}

void write_f32(const fs::path& p, const torch::Tensor& t) {
  const auto c = t.contiguous();
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(c.data_ptr<float>()),
            static_cast<std::streamsize>(c.numel() * 4));
}

torch::Tensor read_f32(const fs::path& p, const std::vector<int64_t>& shape) {
  std::ifstream in(p, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto t = torch::empty(shape, torch::kFloat32);
  EXPECT_EQ(bytes.size(), static_cast<size_t>(t.numel() * 4)) << p;
  if (bytes.size() == static_cast<size_t>(t.numel() * 4)) {
    std::memcpy(t.data_ptr<float>(), bytes.data(), bytes.size());
  }
  return t;
}

// Two inputs preprocessed by Ares: real photos where Debian packages ship them, else a
// synthetic picture, and a noise image.
torch::Tensor two_inputs(int64_t size) {
  torch::Tensor first;
  for (const char* p : {"/usr/lib/python3/dist-packages/skimage/data/chelsea.png",
                        "/usr/share/doc/espeak-ng/docs/images/sand-light.jpg",
                        "/usr/share/icons/hicolor/256x256/apps/chromium.png"}) {
    if (fs::is_regular_file(p)) {
      first = data::preprocess_image(data::decode_image(p), size);
      break;
    }
  }
  torch::manual_seed(11);
  auto noise = torch::randint(0, 256, {300, 400, 3}, torch::kInt64).to(torch::kUInt8);
  auto second = data::preprocess_image(noise, size);
  if (!first.defined()) first = data::preprocess_image(noise.flip(0).contiguous(), size);
  return torch::stack({first, second});
}

// Exports torchvision's `name` with random weights through scripts/export_torchvision.py, loads
// the checkpoint in Ares, and compares Ares's logits with torchvision's on the same inputs.
void expect_same_logits_as_torchvision(const std::string& name) {
  const std::string py = python_with_torchvision();
  if (py.empty())
    GTEST_SKIP() << "python3 with torchvision not found (apt install python3-torchvision)";
  const auto dir =
      fs::path(::testing::TempDir()) / ("ares_tv_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  struct RemoveOnExit {  // the checkpoints are large (VGG-16: 553 MB)
    fs::path dir;
    ~RemoveOnExit() { fs::remove_all(dir); }
  } cleanup{dir};
  const int64_t size = name == "inception_v3" ? 299 : 224;
  const auto inputs = two_inputs(size);
  write_f32(dir / "inputs.f32", inputs);
  const auto ckpt = dir / (name + ".ckpt");
  const std::string cmd = py + " '" + export_script().string() + "' export " + name + " '" +
                          ckpt.string() + "' --seed 7 --inputs '" + (dir / "inputs.f32").string() +
                          "' --logits '" + (dir / "logits.f32").string() + "' > '" +
                          (dir / "log.txt").string() + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto expected = read_f32(dir / "logits.f32", {2, 1000});

  auto loaded = load_checkpoint(ckpt.string());  // a file Python wrote: the loader's own test
  fs::remove(ckpt);
  EXPECT_EQ(loaded.meta["model"], name);
  EXPECT_EQ(loaded.meta["dataset"], "imagenet");
  EXPECT_EQ(loaded.meta["seed"], "7");
  c10::InferenceMode guard;
  auto model = loaded.model->fold_batchnorm();  // what a campaign runs
  model->eval();
  const auto got = model->forward(inputs);
  ASSERT_EQ(got.sizes(), expected.sizes());
  const float scale = expected.abs().max().item<float>();
  EXPECT_GT(scale, 0.0f);
  const float diff = (got - expected).abs().max().item<float>();
  EXPECT_LE(diff, 1e-4f * scale) << name << ": max |Ares - torchvision| " << diff
                                 << " with max |logit| " << scale;
  EXPECT_TRUE(torch::equal(got.argmax(1), expected.argmax(1)));
}

TEST(TorchvisionLogitsTest, Resnet50MatchesTorchvision) {
  expect_same_logits_as_torchvision("resnet50");
}
TEST(TorchvisionLogitsTest, MobilenetV2MatchesTorchvision) {
  expect_same_logits_as_torchvision("mobilenet_v2");
}
TEST(TorchvisionLogitsTest, InceptionV3MatchesTorchvision) {
  expect_same_logits_as_torchvision("inception_v3");
}
TEST(TorchvisionLogitsTest, Vgg16MatchesTorchvision) { expect_same_logits_as_torchvision("vgg16"); }

}  // namespace
}  // namespace ares::models
